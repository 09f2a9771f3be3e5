//! Which IP addresses a plugin may connect to: public unicast addresses only. Loopback, private,
//! link-local, shared, multicast, broadcast, documentation and reserved ranges are the operator's
//! own network (or nobody's), and an allowed host name that resolves into them must not become a
//! way in. IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64) are judged
//! by the IPv4 address they reach.
//!
//! An operator lets plugins reach some of these networks with `outbound.allowed_networks`
//! ([`crate::RuntimeConfig::allowed_networks`]).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use smartreach_network::Network;

/// Why an address is off limits: the kind of range it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Range {
    /// `0.0.0.0/8`, `::`: "this host", which the kernel takes as the local machine.
    Unspecified,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918 (`10/8`, `172.16/12`, `192.168/16`), unique local `fc00::/7`, site-local `fec0::/10`.
    Private,
    /// `169.254.0.0/16` (cloud metadata lives here), `fe80::/10`.
    LinkLocal,
    /// `100.64.0.0/10`, carrier-grade NAT.
    Shared,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// `192.0.2/24`, `198.51.100/24`, `203.0.113/24`, `2001:db8::/32`, `3fff::/20`.
    Documentation,
    /// `198.18.0.0/15`.
    Benchmarking,
    /// A public address of this very machine: a connection to it arrives on the loopback
    /// interface, past firewalls that only guard the outside.
    ThisHost,
    /// Everything else that is not public unicast: `192.0.0/24`, `192.88.99/24`, `240/4`, and
    /// IPv6 outside `2000::/3` or in its special-purpose blocks (`2001::/23`, `2002::/16`).
    Reserved,
}

impl Range {
    fn as_str(self) -> &'static str {
        match self {
            Range::Unspecified => "unspecified",
            Range::Loopback => "loopback",
            Range::Private => "private",
            Range::LinkLocal => "link-local",
            Range::Shared => "shared address space",
            Range::Multicast => "multicast",
            Range::Broadcast => "broadcast",
            Range::Documentation => "documentation",
            Range::Benchmarking => "benchmarking",
            Range::Reserved => "reserved",
            Range::ThisHost => "this host's own address",
        }
    }
}

/// An IPv6 form that carries an IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Embedding {
    /// `::ffff:a.b.c.d`.
    Mapped,
    /// `::a.b.c.d` (deprecated).
    Compatible,
    /// `64:ff9b::a.b.c.d`, NAT64's well-known prefix: a NAT64 gateway connects to `a.b.c.d`.
    Nat64,
}

impl Embedding {
    fn as_str(self) -> &'static str {
        match self {
            Embedding::Mapped => "IPv4-mapped",
            Embedding::Compatible => "IPv4-compatible",
            Embedding::Nat64 => "NAT64",
        }
    }
}

/// An address a plugin may not reach, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refused {
    /// The address as resolved.
    pub(crate) ip: IpAddr,
    /// The range that refuses it.
    pub(crate) range: Range,
    /// The IPv4 address inside `ip` that is in `range`, when `ip` is an IPv6 form of one.
    pub(crate) via: Option<(Embedding, Ipv4Addr)>,
}

impl fmt::Display for Refused {
    /// `127.0.0.1 (loopback)`, `::ffff:10.0.0.1 (IPv4-mapped 10.0.0.1: private)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.via {
            None => write!(f, "{} ({})", self.ip, self.range.as_str()),
            Some((embedding, v4)) => write!(
                f,
                "{} ({} {v4}: {})",
                self.ip,
                embedding.as_str(),
                self.range.as_str()
            ),
        }
    }
}

/// Whether a plugin may connect to `ip`: `Ok` for public unicast addresses and for addresses in
/// one of the operator's `allowed` networks, `Err` with the reason otherwise.
pub(crate) fn check(ip: IpAddr, allowed: &[Network]) -> Result<(), Refused> {
    let embedded = match ip {
        IpAddr::V4(_) => None,
        IpAddr::V6(v6) => embedded_v4(v6),
    };
    let is_allowed = |ip: IpAddr| allowed.iter().any(|network| network.contains(ip));
    if is_allowed(ip) || embedded.is_some_and(|(_, v4)| is_allowed(IpAddr::V4(v4))) {
        return Ok(());
    }
    let refused = |range, via| Err(Refused { ip, range, via });
    match ip {
        IpAddr::V4(v4) => match v4_range(v4) {
            Some(range) => refused(range, None),
            None => Ok(()),
        },
        IpAddr::V6(v6) => match embedded {
            Some((embedding, v4)) => match v4_range(v4) {
                Some(range) => refused(range, Some((embedding, v4))),
                // Nothing public is reached at `::a.b.c.d`: the form is deprecated.
                None if embedding == Embedding::Compatible => refused(Range::Reserved, None),
                None => Ok(()),
            },
            None => match v6_range(v6) {
                Some(range) => refused(range, None),
                None => Ok(()),
            },
        },
    }
}

/// The IPv4 address an IPv6 address carries, in the forms that reach it. `::` and `::1` are not
/// IPv4-compatible addresses (they are IPv6's unspecified and loopback).
fn embedded_v4(v6: Ipv6Addr) -> Option<(Embedding, Ipv4Addr)> {
    let bits = v6.to_bits();
    let v4 = Ipv4Addr::from_bits(bits as u32); // the low 32 bits
    match bits >> 32 {
        0xffff => Some((Embedding::Mapped, v4)),
        0 if bits > 1 => Some((Embedding::Compatible, v4)),
        0x0064_ff9b_0000_0000_0000_0000 => Some((Embedding::Nat64, v4)),
        _ => None,
    }
}

/// Whether `network/prefix` (IPv4, as bits) contains `ip`.
fn in_v4(ip: Ipv4Addr, network: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    ip.to_bits() & mask == u32::from_be_bytes(network)
}

/// The range a non-public IPv4 address is in; `None` for public unicast.
fn v4_range(ip: Ipv4Addr) -> Option<Range> {
    const RANGES: &[([u8; 4], u32, Range)] = &[
        ([0, 0, 0, 0], 8, Range::Unspecified),
        ([10, 0, 0, 0], 8, Range::Private),
        ([100, 64, 0, 0], 10, Range::Shared),
        ([127, 0, 0, 0], 8, Range::Loopback),
        ([169, 254, 0, 0], 16, Range::LinkLocal),
        ([172, 16, 0, 0], 12, Range::Private),
        ([192, 0, 0, 0], 24, Range::Reserved),
        ([192, 0, 2, 0], 24, Range::Documentation),
        ([192, 88, 99, 0], 24, Range::Reserved),
        ([192, 168, 0, 0], 16, Range::Private),
        ([198, 18, 0, 0], 15, Range::Benchmarking),
        ([198, 51, 100, 0], 24, Range::Documentation),
        ([203, 0, 113, 0], 24, Range::Documentation),
        ([224, 0, 0, 0], 4, Range::Multicast),
        ([255, 255, 255, 255], 32, Range::Broadcast),
        ([240, 0, 0, 0], 4, Range::Reserved),
    ];
    RANGES
        .iter()
        .find(|(network, prefix, _)| in_v4(ip, *network, *prefix))
        .map(|(_, _, range)| *range)
}

/// The range a non-public IPv6 address (not an IPv4 form) is in; `None` for public unicast.
fn v6_range(ip: Ipv6Addr) -> Option<Range> {
    // Checked in order: the special blocks inside 2000::/3 first, then 2000::/3 itself is public.
    const RANGES: &[(u128, u32, Range)] = &[
        (0, 128, Range::Unspecified),
        (1, 128, Range::Loopback),
        (0xfc00 << 112, 7, Range::Private),
        (0xfec0 << 112, 10, Range::Private),
        (0xfe80 << 112, 10, Range::LinkLocal),
        (0xff00 << 112, 8, Range::Multicast),
        (0x2001_0db8 << 96, 32, Range::Documentation),
        (0x3fff << 112, 20, Range::Documentation),
        // IETF protocol assignments (Teredo, ORCHID, AMT, ...) and 6to4: not where a service
        // that a plugin calls lives, and Teredo and 6to4 carry IPv4 addresses of any kind.
        (0x2001 << 112, 23, Range::Reserved),
        (0x2002 << 112, 16, Range::Reserved),
    ];
    let bits = ip.to_bits();
    let contains = |network: u128, prefix: u32| {
        bits & u128::MAX.checked_shl(128 - prefix).unwrap_or(0) == network
    };
    if let Some((_, _, range)) = RANGES.iter().find(|(n, p, _)| contains(*n, *p)) {
        return Some(*range);
    }
    // Global unicast is 2000::/3; the rest of the space is unassigned or special (100::/64
    // discard, 64:ff9b:1::/48 local NAT64, ...).
    (!contains(0x2000 << 112, 3)).then_some(Range::Reserved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(text: &str) -> Result<(), String> {
        check(text.parse().unwrap(), &[]).map_err(|refused| refused.to_string())
    }

    fn range(text: &str) -> Option<Range> {
        check(text.parse().unwrap(), &[])
            .err()
            .map(|refused| refused.range)
    }

    #[test]
    fn public_unicast_is_allowed() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.215.14",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "191.255.255.255",
            "192.0.1.0",
            "192.0.3.0",
            "192.88.98.255",
            "192.88.100.0",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "198.51.99.255",
            "198.51.101.0",
            "203.0.112.255",
            "203.0.114.0",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "2000::",
            "3fff:1000::",
            "3ffe:ffff::1",
            "2001:200::1",
            "2001:db7:ffff::1",
            "2001:db9::",
            "2003::1",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
        ] {
            assert_eq!(verdict(ip), Ok(()), "{ip}");
        }
    }

    #[test]
    fn every_v4_range_is_refused_at_both_ends() {
        for (first, last, expected) in [
            ("0.0.0.0", "0.255.255.255", Range::Unspecified),
            ("10.0.0.0", "10.255.255.255", Range::Private),
            ("100.64.0.0", "100.127.255.255", Range::Shared),
            ("127.0.0.0", "127.255.255.255", Range::Loopback),
            ("169.254.0.0", "169.254.255.255", Range::LinkLocal),
            ("172.16.0.0", "172.31.255.255", Range::Private),
            ("192.0.0.0", "192.0.0.255", Range::Reserved),
            ("192.0.2.0", "192.0.2.255", Range::Documentation),
            ("192.88.99.0", "192.88.99.255", Range::Reserved),
            ("192.168.0.0", "192.168.255.255", Range::Private),
            ("198.18.0.0", "198.19.255.255", Range::Benchmarking),
            ("198.51.100.0", "198.51.100.255", Range::Documentation),
            ("203.0.113.0", "203.0.113.255", Range::Documentation),
            ("224.0.0.0", "239.255.255.255", Range::Multicast),
            ("240.0.0.0", "255.255.255.254", Range::Reserved),
            ("255.255.255.255", "255.255.255.255", Range::Broadcast),
        ] {
            assert_eq!(range(first), Some(expected), "{first}");
            assert_eq!(range(last), Some(expected), "{last}");
        }
        assert_eq!(range("169.254.169.254"), Some(Range::LinkLocal), "metadata");
    }

    #[test]
    fn every_v6_range_is_refused_at_both_ends() {
        for (first, last, expected) in [
            ("::", "::", Range::Unspecified),
            ("::1", "::1", Range::Loopback),
            (
                "fc00::",
                "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                Range::Private,
            ),
            (
                "fec0::",
                "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                Range::Private,
            ),
            (
                "fe80::",
                "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                Range::LinkLocal,
            ),
            (
                "ff00::",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                Range::Multicast,
            ),
            (
                "2001:db8::",
                "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
                Range::Documentation,
            ),
            (
                "3fff::",
                "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff",
                Range::Documentation,
            ),
            (
                "2001::",
                "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff",
                Range::Reserved,
            ),
            (
                "2002::",
                "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                Range::Reserved,
            ),
            ("100::", "100::ffff:ffff:ffff:ffff", Range::Reserved),
            ("64:ff9b:1::", "64:ff9b:1:ffff::1", Range::Reserved),
            (
                "::2:0:0",
                "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                Range::Reserved,
            ),
            (
                "4000::",
                "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                Range::Reserved,
            ),
        ] {
            assert_eq!(range(first), Some(expected), "{first}");
            assert_eq!(range(last), Some(expected), "{last}");
        }
    }

    #[test]
    fn ipv4_forms_in_ipv6_are_judged_by_the_ipv4_address() {
        assert_eq!(
            verdict("::ffff:127.0.0.1"),
            Err("::ffff:127.0.0.1 (IPv4-mapped 127.0.0.1: loopback)".into())
        );
        assert_eq!(
            verdict("::ffff:169.254.169.254"),
            Err("::ffff:169.254.169.254 (IPv4-mapped 169.254.169.254: link-local)".into())
        );
        assert_eq!(
            verdict("::ffff:10.1.2.3"),
            Err("::ffff:10.1.2.3 (IPv4-mapped 10.1.2.3: private)".into())
        );
        assert_eq!(
            verdict("::ffff:0.0.0.0"),
            Err("::ffff:0.0.0.0 (IPv4-mapped 0.0.0.0: unspecified)".into())
        );
        assert_eq!(
            verdict("::127.0.0.1"),
            Err("::7f00:1 (IPv4-compatible 127.0.0.1: loopback)".into())
        );
        assert_eq!(
            verdict("::8.8.8.8"),
            Err("::808:808 (reserved)".into()),
            "IPv4-compatible addresses are deprecated: none is public"
        );
        assert_eq!(
            verdict("::2"),
            Err("::2 (IPv4-compatible 0.0.0.2: unspecified)".into())
        );
        assert_eq!(
            verdict("64:ff9b::a9fe:a9fe"),
            Err("64:ff9b::a9fe:a9fe (NAT64 169.254.169.254: link-local)".into())
        );
        assert_eq!(
            verdict("64:ff9b::192.168.1.1"),
            Err("64:ff9b::c0a8:101 (NAT64 192.168.1.1: private)".into())
        );
        // Next to the forms, not in them: judged as IPv6.
        assert_eq!(range("::fffe:7f00:1"), Some(Range::Reserved));
        assert_eq!(range("::1:ffff:7f00:1"), Some(Range::Reserved));
        assert_eq!(range("64:ff9a::7f00:1"), Some(Range::Reserved));
    }

    #[test]
    fn plain_addresses_read_well() {
        assert_eq!(verdict("127.0.0.1"), Err("127.0.0.1 (loopback)".into()));
        assert_eq!(verdict("::1"), Err("::1 (loopback)".into()));
        assert_eq!(
            verdict("100.64.0.1"),
            Err("100.64.0.1 (shared address space)".into())
        );
    }

    #[test]
    fn allowed_networks_let_their_addresses_through_and_nothing_else() {
        let allowed: Vec<Network> = ["10.20.0.0/16", "fd00:1::/32", "127.0.0.1"]
            .iter()
            .map(|text| text.parse().unwrap())
            .collect();
        let ok = |text: &str| check(text.parse().unwrap(), &allowed).is_ok();
        assert!(ok("10.20.0.1"));
        assert!(ok("10.20.255.255"));
        assert!(!ok("10.21.0.0"));
        assert!(
            ok("::ffff:10.20.3.4"),
            "the mapped form of an allowed address"
        );
        assert!(
            ok("64:ff9b::10.20.3.4"),
            "the NAT64 form of an allowed address"
        );
        assert!(ok("fd00:1:2::3"));
        assert!(!ok("fd00:2::3"));
        assert!(ok("127.0.0.1"));
        assert!(!ok("127.0.0.2"));
        assert!(!ok("::1"), "v4 loopback allowed does not allow v6 loopback");
        assert!(!ok("169.254.169.254"));
        assert!(ok("8.8.8.8"), "public stays allowed");
    }
}
