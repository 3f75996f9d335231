#!/usr/bin/perl
# Prints a REST2 auth token for root (RT::AuthToken->Create), using RT's own libraries.
use strict;
use warnings;
use lib '/usr/share/request-tracker5/lib';
use RT;
RT::LoadConfig();
RT::Init();
my $user = RT::User->new(RT->SystemUser);
$user->Load('root');
die "no root user\n" unless $user->id;
my $token = RT::AuthToken->new(RT::CurrentUser->new($user));
my ($ok, $msg, $authstring) = $token->Create(Owner => $user->id, Description => 'patrol tests');
die "token: $msg\n" unless $ok;
print "$authstring\n";
