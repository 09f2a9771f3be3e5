//! [`Network`]: an IP network in CIDR notation (`10.20.0.0/16`, `fd00::/8`), the unit in which an
//! operator lets plugins reach addresses that are otherwise refused (the plugin runtime refuses
//! loopback, private and other non-public addresses unless the host's configuration lists a
//! network holding them).
//!
//! Its own crate because two layers read it: the configuration parses it, the plugin runtime
//! checks addresses against it; the configuration has no need of the runtime (nor of wasmtime).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An IP network: an address and a prefix length, with the host bits zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

/// Why a text is not a network in CIDR notation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a network in CIDR notation: {problem}")]
pub struct NetworkError {
    /// The text as given.
    pub text: String,
    /// What is wrong with it, and what to write instead.
    pub problem: String,
}

impl Network {
    /// `127.0.0.0/8` and `::1/128`: what a test or a local setup allows to reach a server on the
    /// same machine.
    pub const LOOPBACK: [Network; 2] = [
        Network {
            addr: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)),
            prefix: 8,
        },
        Network {
            addr: IpAddr::V6(Ipv6Addr::LOCALHOST),
            prefix: 128,
        },
    ];

    /// The network's first address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length: 0 to 32 for IPv4, 0 to 128 for IPv6.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` is in this network. An IPv4 network never contains an IPv6 address (an
    /// IPv4-mapped one included: callers that mean the embedded address pass it).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                ip.to_bits() & v4_mask(self.prefix) == net.to_bits()
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                ip.to_bits() & v6_mask(self.prefix) == net.to_bits()
            }
            _ => false,
        }
    }
}

/// The first `prefix` bits of an IPv4 address set (`prefix` at most 32).
fn v4_mask(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

/// The first `prefix` bits of an IPv6 address set (`prefix` at most 128).
fn v6_mask(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

impl FromStr for Network {
    type Err = NetworkError;

    /// `ADDRESS/PREFIX`, or a bare address for a network of that one address (`/32`, `/128`).
    fn from_str(text: &str) -> Result<Self, NetworkError> {
        let error = |problem: String| NetworkError {
            text: text.to_owned(),
            problem,
        };
        let (addr_text, prefix_text) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr_text.parse().map_err(|_| {
            error(format!(
                "`{addr_text}` is not an IP address; write an address and a prefix length, like \
                 10.20.0.0/16 or fd00::/8 (host names are not resolved)"
            ))
        })?;
        let width = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix_text {
            None => width,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                // `+8` and `08` parse as numbers but are not how a prefix is written.
                .filter(|value| *value <= width && value.to_string() == prefix)
                .ok_or_else(|| {
                    error(format!(
                        "the prefix length `{prefix}` is not a number from 0 to {width}"
                    ))
                })?,
        };
        let network = Network { addr, prefix };
        let first = network.first();
        if first != addr {
            return Err(error(format!(
                "{addr} has bits set after the first {prefix}; write the network's first \
                 address, {first}/{prefix}"
            )));
        }
        Ok(network)
    }
}

impl Network {
    /// The address with the host bits cleared.
    fn first(&self) -> IpAddr {
        match self.addr {
            IpAddr::V4(addr) => {
                IpAddr::V4(Ipv4Addr::from_bits(addr.to_bits() & v4_mask(self.prefix)))
            }
            IpAddr::V6(addr) => {
                IpAddr::V6(Ipv6Addr::from_bits(addr.to_bits() & v6_mask(self.prefix)))
            }
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> Network {
        text.parse().unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn parses_v4_and_v6_networks_and_bare_addresses() {
        assert_eq!(net("10.20.0.0/16").to_string(), "10.20.0.0/16");
        assert_eq!(net("fd00::/8").to_string(), "fd00::/8");
        assert_eq!(net("192.0.2.7").to_string(), "192.0.2.7/32");
        assert_eq!(net("::1").to_string(), "::1/128");
        assert_eq!(net("0.0.0.0/0").prefix(), 0);
        assert_eq!(net("::/0").prefix(), 0);
        assert_eq!(net("127.0.0.0/8"), Network::LOOPBACK[0]);
        assert_eq!(net("::1/128"), Network::LOOPBACK[1]);
    }

    #[test]
    fn contains_exactly_the_prefix() {
        let private = net("10.20.0.0/16");
        assert!(private.contains(ip("10.20.0.0")));
        assert!(private.contains(ip("10.20.255.255")));
        assert!(!private.contains(ip("10.21.0.0")));
        assert!(!private.contains(ip("10.19.255.255")));
        assert!(!private.contains(ip("::ffff:10.20.0.1")), "v6 is not v4");

        let one = net("192.0.2.7/32");
        assert!(one.contains(ip("192.0.2.7")));
        assert!(!one.contains(ip("192.0.2.6")));

        let ula = net("fd00:1234::/32");
        assert!(ula.contains(ip("fd00:1234:ffff::1")));
        assert!(!ula.contains(ip("fd00:1235::")));
        assert!(!ula.contains(ip("10.20.0.1")));

        assert!(net("0.0.0.0/0").contains(ip("203.0.113.9")));
        assert!(!net("0.0.0.0/0").contains(ip("::1")));
        assert!(net("::/0").contains(ip("2001:db8::1")));
        assert!(net("::1").contains(ip("::1")));
        assert!(!net("::1").contains(ip("::2")));
        assert!(net("10.0.0.0/9").contains(ip("10.127.255.255")));
        assert!(!net("10.0.0.0/9").contains(ip("10.128.0.0")));
    }

    #[test]
    fn rejects_what_is_not_cidr_and_says_what_to_write() {
        for (text, expected) in [
            ("", "is not an IP address"),
            ("example.com/24", "host names are not resolved"),
            (
                "10.20.0.0/",
                "prefix length `` is not a number from 0 to 32",
            ),
            ("10.20.0.0/33", "from 0 to 32"),
            ("fd00::/129", "from 0 to 128"),
            ("10.20.0.0/-1", "not a number"),
            ("10.20.0.0/+8", "not a number"),
            ("10.20.0.0/08", "not a number"),
            ("10.20.0.0/16/2", "not a number"),
            (
                "10.20.1.5/16",
                "write the network's first address, 10.20.0.0/16",
            ),
            ("fd00::1/8", "fd00::/8"),
            ("10.20.0.0 /16", "is not an IP address"),
        ] {
            let err = text.parse::<Network>().unwrap_err();
            assert!(err.to_string().contains(expected), "{text}: {err}");
            assert!(err.to_string().contains(&format!("`{text}`")), "{err}");
        }
    }
}
