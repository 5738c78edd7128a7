// Jakarta Mail (Debian libjakarta-mail-java 2.0.0) with mail.debug=true against smtp-tutor serve.
// java -cp /usr/share/java/jakarta-mail.jar:/usr/share/java/jakarta-activation.jar JakartaMailFixture.java PORT MECH USER PASS [DEBUG_AUTH]
import jakarta.mail.*;
import jakarta.mail.internet.*;
import java.util.Properties;

public class JakartaMailFixture {
    public static void main(String[] a) throws Exception {
        Properties p = new Properties();
        p.put("mail.smtp.host", "127.0.0.1"); p.put("mail.smtp.port", a[0]);
        p.put("mail.smtp.auth", "true"); p.put("mail.smtp.auth.mechanisms", a[1]);
        p.put("mail.smtp.starttls.enable", "false"); p.put("mail.debug", "true");
        if (a.length > 4) p.put("mail.debug.auth", a[4]);
        Session s = Session.getInstance(p);
        MimeMessage m = new MimeMessage(s);
        m.setFrom("tim@example.com"); m.setRecipients(Message.RecipientType.TO, "tim@example.com");
        m.setSubject("fixture"); m.setText("hello");
        try { Transport.send(m, a[2], a[3]); } catch (MessagingException e) { System.exit(1); }   // nothing of ours in the debug output
    }
}
