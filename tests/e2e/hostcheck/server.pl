#!/usr/bin/perl
# An app deploykit did not build: no python in its image, its own USER and CMD, and it writes under
# /var when it starts. Like Django's ALLOWED_HOSTS it answers only requests for its public host
# (ALLOWED_HOST): anything else, a probe naming an address included, gets 400.
use strict;
use warnings;
use IO::Socket::INET;

my $port = $ENV{PORT} or die "PORT is not set\n";    # deploykit gives a generic server its port
my $allowed = $ENV{ALLOWED_HOST} or die "ALLOWED_HOST is not set\n";
open(my $mark, '>', '/var/lib/hostcheck/started') or die "cannot write under /var/lib/hostcheck: $!\n";
print $mark "$$\n";
close $mark;
my $server = IO::Socket::INET->new(LocalAddr => '0.0.0.0', LocalPort => $port, Listen => 64, ReuseAddr => 1)
  or die "cannot listen on $port: $!\n";
$SIG{TERM} = sub { exit 0 };
$| = 1;
my %probes;    # Host header => health checks answered
my $refused = 0;
while (my $client = $server->accept) {
    my $request = <$client> // '';
    my (undef, $path) = split / /, $request;
    $path //= '/';
    my $host = '';
    while (my $line = <$client>) {
        last if $line =~ /^\r?\n$/;
        $host = $1 if $line =~ /^Host:\s*(\S+)/i;
    }
    $host =~ s/:\d+$//;
    my ($status, $body);
    if ($host ne $allowed) {
        $refused++;
        ($status, $body) = ('400 Bad Request', qq({"error":"invalid host header"}));
    } elsif ($path eq '/healthz') {
        $probes{$host}++;
        ($status, $body) = ('200 OK', qq({"status":"ok"}));
    } elsif ($path eq '/whoami') {
        my $seen = join(',', map { qq("$_":$probes{$_}) } sort keys %probes);
        ($status, $body) = ('200 OK', qq({"uid":$<,"probes":{$seen},"refused":$refused}));
    } else {
        ($status, $body) = ('404 Not Found', qq({"error":"not found"}));
    }
    print $client "HTTP/1.1 $status\r\nContent-Type: application/json\r\nContent-Length: "
      . length($body) . "\r\nConnection: close\r\n\r\n$body";
    close $client;
}
