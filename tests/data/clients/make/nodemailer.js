// nodemailer (npm) with logger + debug against smtp-tutor serve: node nodemailer.js PORT METHOD USER PASS
const nodemailer = require("nodemailer");
const [port, method, user, pass] = process.argv.slice(2);
const t = nodemailer.createTransport({host: "127.0.0.1", port: Number(port), secure: false, ignoreTLS: true,
  authMethod: method, auth: {user, pass}, logger: true, debug: true});
t.sendMail({from: "tim@example.com", to: "tim@example.com", subject: "fixture", text: "hello"})
  .catch(e => console.log("error: " + e.message)).finally(() => t.close());
