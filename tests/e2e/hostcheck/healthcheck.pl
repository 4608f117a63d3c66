#!/usr/bin/perl
# The image's own health probe (it has no python, so deploykit's would not run): GET /healthz with the
# public host, exit 0 on 200.
use strict;
use warnings;
use IO::Socket::INET;

my $socket = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ENV{PORT}, Timeout => 2) or exit 1;
print $socket "GET /healthz HTTP/1.1\r\nHost: $ENV{ALLOWED_HOST}\r\nConnection: close\r\n\r\n";
my $status = <$socket> // '';
exit($status =~ m{^HTTP/1\.[01] 200 } ? 0 : 1);
