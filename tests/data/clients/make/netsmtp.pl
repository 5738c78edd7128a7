#!/usr/bin/perl
# Perl Net::SMTP with Debug => 1 against smtp-tutor serve: one session per mechanism given on the command line.
use strict; use warnings; use Net::SMTP; use Authen::SASL;
my ($port, $mech, $user, $pass) = @ARGV;
my $smtp = Net::SMTP->new('127.0.0.1', Port => $port, Hello => 'perl.example', Debug => 1) or die "connect: $@";
my $sasl = Authen::SASL->new(mechanism => $mech, callback => { user => $user, pass => $pass });
$smtp->auth($sasl);
$smtp->quit;
