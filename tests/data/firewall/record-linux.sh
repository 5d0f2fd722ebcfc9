#!/usr/bin/env bash
# Records the nftables and iptables listings under tests/data/firewall/ from the
# real tools, inside a throwaway network namespace (the host's rules are never
# read or touched). Needs root, nftables and iptables. Run from the repo root.
set -euo pipefail
out=tests/data/firewall
ns="p443rec$$"
ip netns add "$ns"
trap 'ip netns delete "$ns"' EXIT
in_ns() { ip netns exec "$ns" "$@"; }
nft_rec() { in_ns nft -a list ruleset >"$out/nftables/$1.ruleset.txt" 2>&1; }
ipt_rec() { in_ns iptables -w -S >"$out/iptables/$1.rules.txt"; }

nft_rec empty
in_ns nft -f - <<'RULES'
table inet filter {
  chain input {
    type filter hook input priority filter; policy accept;
    ct state established,related accept
    iif "lo" accept
    tcp dport 22 accept
    tcp dport { 80, 443 } ip saddr 10.0.0.0/8 accept
    tcp dport 443 drop
  }
  chain forward { type filter hook forward priority filter; policy drop; }
  chain output { type filter hook output priority filter; policy accept; }
}
RULES
nft_rec blocked
handle=$(in_ns nft -a list chain inet filter input | sed -n 's/.*tcp dport 443 drop # handle \([0-9]*\)/\1/p')
in_ns nft insert rule inet filter input position "$handle" tcp dport 443 accept comment port443
nft_rec opened
in_ns nft flush ruleset
in_ns nft -f - <<'RULES'
table inet filter {
  chain web {
    tcp dport 443 log prefix "web " counter reject with tcp reset
  }
  chain input {
    type filter hook input priority filter; policy drop;
    ct state invalid drop
    ct state established,related accept
    tcp dport 22 accept
    meta l4proto tcp jump web
  }
  chain output {
    type filter hook output priority filter; policy drop;
    ct state established,related accept
  }
}
table ip extra {
  set blocked { type ipv4_addr; elements = { 192.0.2.1, 192.0.2.2 } }
  chain input {
    type filter hook input priority filter - 10; policy accept;
    ip saddr @blocked drop
    tcp dport 8000-8999 drop
  }
}
RULES
nft_rec policy-drop
in_ns nft flush ruleset

ipt_rec empty
in_ns iptables -w -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
in_ns iptables -w -A INPUT -i lo -j ACCEPT
in_ns iptables -w -A INPUT -p tcp --dport 22 -j ACCEPT
in_ns iptables -w -A INPUT -s 10.0.0.0/8 -p tcp -m multiport --dports 80,443 -j ACCEPT
in_ns iptables -w -A INPUT -p tcp --dport 443 -j DROP
ipt_rec blocked
nft_rec iptables-nft
in_ns iptables -w -I INPUT 5 -p tcp --dport 443 -m comment --comment port443 -j ACCEPT
ipt_rec opened
in_ns iptables -w -F INPUT
in_ns iptables -w -N web
in_ns iptables -w -A web -p tcp --dport 443 -j REJECT --reject-with tcp-reset
in_ns iptables -w -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
in_ns iptables -w -A INPUT -p tcp --dport 22 -j ACCEPT
in_ns iptables -w -A INPUT -p tcp -j web
in_ns iptables -w -A INPUT -j LOG --log-prefix "dropped: "
in_ns iptables -w -P INPUT DROP
in_ns iptables -w -P OUTPUT DROP
in_ns iptables -w -A OUTPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
ipt_rec policy-drop
