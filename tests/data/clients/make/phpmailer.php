<?php
// PHPMailer (Debian libphp-phpmailer) with SMTPDebug = 2 against smtp-tutor serve: php phpmailer.php PORT MECH USER PASS [LEVEL]
require '/usr/share/php/libphp-phpmailer/autoload.php';
use PHPMailer\PHPMailer\PHPMailer;
[$_, $port, $mech, $user, $pass, $level] = $argv + [5 => 2];
$mail = new PHPMailer(true);
$mail->isSMTP();
$mail->Host = '127.0.0.1'; $mail->Port = (int)$port; $mail->SMTPAutoTLS = false;
$mail->SMTPAuth = true; $mail->AuthType = $mech; $mail->Username = $user; $mail->Password = $pass;
$mail->SMTPDebug = (int)$level;
$mail->setFrom('tim@example.com'); $mail->addAddress('tim@example.com');
$mail->Subject = 'fixture'; $mail->Body = 'hello';
try { $mail->send(); } catch (Exception $e) { echo "Mailer Error: ", $mail->ErrorInfo, "\n"; }
