//! `token_bound_cidrs`: the source addresses a login may come from.
//!
//! Vault parses each entry with go-sockaddr (`parseutil.ParseAddrs`), which tries, in order:
//! an IPv4 CIDR or address (a bare address is a /32, `ip:port` is accepted too), an IPv6 CIDR
//! or address (bare = /128, `[ip]:port` accepted), and finally a UNIX socket path, which is
//! any text longer than one character that starts with `.` or `/` or contains a `/`.
//!
//! That last rule means a malformed CIDR such as `10.0.0.0/33` is *accepted* by Vault as a
//! socket path and then never matches any caller. podpass keeps that behaviour (so it accepts
//! exactly the roles Vault accepts) and exposes such entries through
//! [`BoundCidrs::non_ip_entries`] so tools can point them out. Host names are not resolved
//! (this crate does no I/O), so `name:port` entries are refused where Vault would look them up.
//!
//! Entries print the way Vault reads them back: `10.0.0.1/32` reads as `10.0.0.1`, a
//! non-canonical `10.0.0.5/8` keeps its host bits, an IPv4-mapped IPv6 address becomes IPv4.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use ipnet::{Ipv4Net, Ipv6Net};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::fields::go_quote;

/// Why an address was refused. `Display` is Vault's text where Vault has one.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CidrError {
    /// A `token_bound_cidrs` entry that is neither an address, a CIDR nor a socket path.
    #[error(
        "error parsing address {}: Unable to convert {} to an IPv4 or IPv6 address, or a UNIX Socket",
        go_quote(.0),
        go_quote(.0)
    )]
    InvalidAddress(String),
    /// A caller address that could not be read as `ip`, `ip:port` or `[ipv6]:port`.
    #[error("invalid remote address {}", go_quote(.0))]
    InvalidRemoteAddr(String),
}

/// One parsed `token_bound_cidrs` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CidrEntry {
    /// An IPv4 network (a single address is a /32). `port` is 0 unless written as `ip:port`;
    /// it is only kept for display, matching ignores it as Vault does.
    V4 {
        /// The address as written (host bits are kept) and its prefix length.
        net: Ipv4Net,
        /// The port of an `ip:port` entry, else 0.
        port: u16,
    },
    /// An IPv6 network (a single address is a /128).
    V6 {
        /// The address as written and its prefix length.
        net: Ipv6Net,
        /// The port of an `[ip]:port` entry, else 0.
        port: u16,
    },
    /// Text Vault stores as a UNIX socket path; it never matches a network caller.
    UnixSocket(String),
}

impl CidrEntry {
    /// Parses one entry with go-sockaddr's precedence (IPv4, IPv6, socket path).
    pub fn parse(text: &str) -> Result<CidrEntry, CidrError> {
        if let Some(entry) = parse_v4(text) {
            return Ok(entry);
        }
        if let Some(entry) = parse_v6(text) {
            return Ok(entry);
        }
        if text.len() > 1 && (text.starts_with('.') || text.contains('/')) {
            return Ok(CidrEntry::UnixSocket(text.to_string()));
        }
        Err(CidrError::InvalidAddress(text.to_string()))
    }

    /// Whether a caller at `addr` is inside this entry (ports are ignored).
    pub fn contains(&self, addr: IpAddr) -> bool {
        match (self, normalize(addr)) {
            (CidrEntry::V4 { net, .. }, IpAddr::V4(ip)) => net.contains(&ip),
            (CidrEntry::V6 { net, .. }, IpAddr::V6(ip)) => net.contains(&ip),
            _ => false,
        }
    }
}

impl fmt::Display for CidrEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CidrEntry::V4 { net, port } if *port != 0 => write!(f, "{}:{port}", net.addr()),
            CidrEntry::V4 { net, .. } if net.prefix_len() == 32 => write!(f, "{}", net.addr()),
            CidrEntry::V4 { net, .. } => write!(f, "{}/{}", net.addr(), net.prefix_len()),
            CidrEntry::V6 { net, port } if *port != 0 => write!(f, "[{}]:{port}", net.addr()),
            CidrEntry::V6 { net, .. } if net.prefix_len() == 128 => write!(f, "{}", net.addr()),
            CidrEntry::V6 { net, .. } => write!(f, "{}/{}", net.addr(), net.prefix_len()),
            CidrEntry::UnixSocket(path) => f.write_str(path),
        }
    }
}

/// Splits `addr/prefix` the way Go's `net.ParseCIDR` does (first `/`, decimal prefix).
fn split_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, prefix) = text.split_once('/')?;
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let prefix: u8 = prefix.parse().ok()?;
    let ip = IpAddr::from_str(addr).ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (prefix <= max).then_some((ip, prefix))
}

fn parse_port(text: &str) -> Option<u16> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn parse_v4(text: &str) -> Option<CidrEntry> {
    if let Some((ip, prefix)) = split_cidr(text) {
        let (addr, v4_prefix) = match ip {
            IpAddr::V4(addr) => (addr, prefix),
            IpAddr::V6(addr) => {
                let mapped = addr.to_ipv4_mapped()?;
                // go-sockaddr turns an IPv6-style mask on a mapped address into an IPv4 mask
                // (/104 -> /8); below 96 it ends up reading the first 32 bits of the mask.
                let converted = if prefix >= 96 {
                    prefix - 96
                } else {
                    prefix.min(32)
                };
                (mapped, converted)
            }
        };
        let net = Ipv4Net::new(addr, v4_prefix).ok()?;
        return Some(CidrEntry::V4 { net, port: 0 });
    }
    if let Ok(SocketAddr::V4(sock)) = SocketAddr::from_str(text) {
        let net = Ipv4Net::new(*sock.ip(), 32).ok()?;
        return Some(CidrEntry::V4 {
            net,
            port: sock.port(),
        });
    }
    if let Some((host, port)) = text.rsplit_once(':') {
        // `SocketAddr` refuses some forms Go accepts, e.g. a port with leading zeros.
        if let (Ok(ip), Some(port)) = (Ipv4Addr::from_str(host), parse_port(port)) {
            let net = Ipv4Net::new(ip, 32).ok()?;
            return Some(CidrEntry::V4 { net, port });
        }
    }
    match IpAddr::from_str(text).ok().map(normalize)? {
        IpAddr::V4(ip) => Some(CidrEntry::V4 {
            net: Ipv4Net::new(ip, 32).ok()?,
            port: 0,
        }),
        IpAddr::V6(_) => None,
    }
}

fn parse_v6(text: &str) -> Option<CidrEntry> {
    if let Some((IpAddr::V6(addr), prefix)) = split_cidr(text) {
        let net = Ipv6Net::new(addr, prefix).ok()?;
        return Some(CidrEntry::V6 { net, port: 0 });
    }
    if let Ok(SocketAddr::V6(sock)) = SocketAddr::from_str(text) {
        if sock.scope_id() != 0 {
            return None;
        }
        let net = Ipv6Net::new(*sock.ip(), 128).ok()?;
        return Some(CidrEntry::V6 {
            net,
            port: sock.port(),
        });
    }
    let ip = Ipv6Addr::from_str(text).ok()?;
    Some(CidrEntry::V6 {
        net: Ipv6Net::new(ip, 128).ok()?,
        port: 0,
    })
}

/// Go treats an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) as IPv4.
fn normalize(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        IpAddr::V4(_) => addr,
    }
}

/// Reads a caller address: `ip`, `ip:port`, `[ipv6]` or `[ipv6]:port`.
pub(crate) fn parse_remote_addr(text: &str) -> Result<IpAddr, CidrError> {
    let parsed = IpAddr::from_str(text)
        .ok()
        .or_else(|| SocketAddr::from_str(text).ok().map(|sock| sock.ip()))
        .or_else(|| {
            text.strip_prefix('[')
                .and_then(|inner| inner.strip_suffix(']'))
                .and_then(|inner| Ipv6Addr::from_str(inner).ok())
                .map(IpAddr::V6)
        });
    parsed
        .map(normalize)
        .ok_or_else(|| CidrError::InvalidRemoteAddr(text.to_string()))
}

/// A role's `token_bound_cidrs`: empty means "from anywhere".
///
/// Serializes as the list of strings Vault reads back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BoundCidrs {
    entries: Vec<CidrEntry>,
}

impl BoundCidrs {
    /// Parses every entry; the first bad one fails the whole list, as in Vault.
    pub fn parse(items: &[String]) -> Result<BoundCidrs, CidrError> {
        let entries = items
            .iter()
            .map(|item| CidrEntry::parse(item))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BoundCidrs { entries })
    }

    /// True when no entry is set (no source restriction).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The parsed entries, in the order given.
    pub fn entries(&self) -> &[CidrEntry] {
        &self.entries
    }

    /// Whether a caller at `remote_addr` may log in: always when the list is empty, else when
    /// some entry contains the address. Accepts `10.0.0.1`, `10.0.0.1:5555`, `::1`, `[::1]:80`.
    pub fn allows(&self, remote_addr: &str) -> Result<bool, CidrError> {
        if self.entries.is_empty() {
            return Ok(true);
        }
        Ok(self.allows_addr(parse_remote_addr(remote_addr)?))
    }

    /// [`BoundCidrs::allows`] for an address already read (a connection's peer).
    pub fn allows_addr(&self, addr: IpAddr) -> bool {
        self.entries.is_empty() || self.entries.iter().any(|entry| entry.contains(addr))
    }

    /// The entries as Vault displays them on read.
    pub fn as_strings(&self) -> Vec<String> {
        self.entries.iter().map(ToString::to_string).collect()
    }

    /// Entries Vault accepted as UNIX socket paths (typically a mistyped CIDR such as
    /// `10.0.0.0/33`); they never match a network caller.
    pub fn non_ip_entries(&self) -> Vec<&str> {
        self.entries
            .iter()
            .filter_map(|entry| match entry {
                CidrEntry::UnixSocket(path) => Some(path.as_str()),
                _ => None,
            })
            .collect()
    }
}

impl Serialize for BoundCidrs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_strings().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for BoundCidrs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let items = Vec::<String>::deserialize(deserializer)?;
        BoundCidrs::parse(&items).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidrs(items: &[&str]) -> BoundCidrs {
        let owned: Vec<String> = items.iter().map(|s| s.to_string()).collect();
        BoundCidrs::parse(&owned).unwrap()
    }

    #[test]
    fn ipv4_networks_and_hosts() {
        let list = cidrs(&["10.0.0.0/8", "192.168.1.7"]);
        assert!(list.allows("10.1.2.3").unwrap());
        assert!(list.allows("192.168.1.7").unwrap());
        assert!(!list.allows("192.168.1.8").unwrap());
        assert!(!list.allows("11.0.0.1").unwrap());
        assert_eq!(list.as_strings(), ["10.0.0.0/8", "192.168.1.7"]);
    }

    #[test]
    fn display_matches_vault_read_back() {
        let list = cidrs(&[
            "10.0.0.1/32",
            "10.0.0.5/8",
            "10.0.0.1:8200",
            "::1/128",
            "fd00::/8",
            "[::1]:80",
        ]);
        assert_eq!(
            list.as_strings(),
            [
                "10.0.0.1",
                "10.0.0.5/8",
                "10.0.0.1:8200",
                "::1",
                "fd00::/8",
                "[::1]:80"
            ]
        );
        assert_eq!(cidrs(&["::ffff:10.0.0.1"]).as_strings(), ["10.0.0.1"]);
        assert_eq!(cidrs(&["::ffff:10.0.0.0/104"]).as_strings(), ["10.0.0.0/8"]);
        assert_eq!(
            cidrs(&["2001:db8:0:0:0:0:0:1"]).as_strings(),
            ["2001:db8::1"]
        );
    }

    #[test]
    fn non_canonical_network_matches_its_network() {
        let list = cidrs(&["10.0.0.5/8"]);
        assert!(list.allows("10.200.0.1").unwrap());
        assert!(!list.allows("11.0.0.5").unwrap());
    }

    #[test]
    fn ipv6_networks_and_hosts() {
        let list = cidrs(&["fd00::/8", "::1"]);
        assert!(list.allows("fd12:3456::1").unwrap());
        assert!(list.allows("::1").unwrap());
        assert!(list.allows("[::1]:8200").unwrap());
        assert!(!list.allows("fe80::1").unwrap());
        assert!(!list.allows("10.0.0.1").unwrap());
    }

    #[test]
    fn families_do_not_mix_but_mapped_addresses_are_ipv4() {
        let list = cidrs(&["10.0.0.0/8"]);
        assert!(list.allows("::ffff:10.1.1.1").unwrap());
        assert!(list.allows("[::ffff:10.1.1.1]:443").unwrap());
        assert!(!list.allows("::1").unwrap());
        let v6_only = cidrs(&["::/0"]);
        assert!(!v6_only.allows("10.0.0.1").unwrap());
    }

    #[test]
    fn ports_are_ignored_when_matching() {
        let list = cidrs(&["10.0.0.1:8200"]);
        assert!(list.allows("10.0.0.1").unwrap());
        assert!(list.allows("10.0.0.1:1234").unwrap());
        assert!(!list.allows("10.0.0.2").unwrap());
        assert_eq!(cidrs(&["10.0.0.1:0080"]).as_strings(), ["10.0.0.1:80"]);
    }

    #[test]
    fn empty_list_allows_everyone() {
        let list = BoundCidrs::default();
        assert!(list.is_empty());
        assert!(list.allows("203.0.113.9").unwrap());
        assert!(list.allows("not even an address").unwrap());
    }

    #[test]
    fn bad_entries_fail_with_vault_text() {
        for bad in [
            "foo",
            "",
            "10.0.0.300",
            "/",
            ".",
            "10.0.0.1:99999",
            "localhost:80",
            "[::1]",
        ] {
            let err = BoundCidrs::parse(&[bad.to_string()]).unwrap_err();
            assert_eq!(err, CidrError::InvalidAddress(bad.to_string()), "{bad}");
        }
        assert_eq!(
            BoundCidrs::parse(&["foo".to_string()])
                .unwrap_err()
                .to_string(),
            "error parsing address \"foo\": Unable to convert \"foo\" to an IPv4 or IPv6 address, \
             or a UNIX Socket"
        );
        let err = BoundCidrs::parse(&["10.0.0.0/8".to_string(), "nope".to_string()]).unwrap_err();
        assert_eq!(err, CidrError::InvalidAddress("nope".to_string()));
    }

    #[test]
    fn malformed_cidrs_become_socket_paths_like_in_vault() {
        let list = cidrs(&["10.0.0.0/33", "./sock", "10.0.0.0/8"]);
        assert_eq!(list.non_ip_entries(), ["10.0.0.0/33", "./sock"]);
        assert_eq!(list.as_strings(), ["10.0.0.0/33", "./sock", "10.0.0.0/8"]);
        assert!(!cidrs(&["10.0.0.0/33"]).allows("10.0.0.1").unwrap());
        assert!(list.allows("10.0.0.1").unwrap());
    }

    #[test]
    fn bad_remote_addresses_are_errors() {
        let list = cidrs(&["10.0.0.0/8"]);
        assert_eq!(
            list.allows("nope").unwrap_err(),
            CidrError::InvalidRemoteAddr("nope".to_string())
        );
        assert!(list.allows("10.0.0.1:").is_err());
        assert!(list.allows("").is_err());
        assert_eq!(
            parse_remote_addr("[::1]").unwrap(),
            IpAddr::V6(Ipv6Addr::LOCALHOST)
        );
    }

    #[test]
    fn serde_round_trip_as_strings() {
        let list = cidrs(&["10.0.0.0/8", "::1"]);
        let json = serde_json::to_value(&list).unwrap();
        assert_eq!(json, serde_json::json!(["10.0.0.0/8", "::1"]));
        let back: BoundCidrs = serde_json::from_value(json).unwrap();
        assert_eq!(back, list);
        assert!(serde_json::from_value::<BoundCidrs>(serde_json::json!(["bad"])).is_err());
    }
}
