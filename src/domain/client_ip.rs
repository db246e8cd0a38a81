//! Who the client is when Gatehouse sits behind reverse proxies. Forwarded headers are only
//! believed when the TCP peer is a configured trusted proxy (`server.trusted_proxies`);
//! otherwise anyone could pick their own rate-limit key. The chain is walked from the right
//! (the hop nearest to us) and the first address that is not a trusted proxy is the client,
//! so a client cannot prepend a fake address (RFC 7239 §7.4).
use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

/// The header the proxies write (`server.proxy_header`). Only that one is read: a proxy
/// passes the other one on from the client untouched, so reading it would let the client
/// pick its own address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProxyHeader {
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=…`.
    Forwarded,
}

impl ProxyHeader {
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Some(Self::XForwardedFor),
            "forwarded" => Some(Self::Forwarded),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::XForwardedFor => "x-forwarded-for",
            Self::Forwarded => "forwarded",
        }
    }
}

/// The parsed `server.trusted_proxies` list and the header they write.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    header: ProxyHeader,
}

impl TrustedProxies {
    /// Parses CIDR ranges (`10.0.0.0/8`) or bare addresses (`127.0.0.1`, taken as /32 or /128).
    pub fn parse<S: AsRef<str>>(entries: &[S], header: ProxyHeader) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| {
                let entry = entry.as_ref().trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| entry.to_owned())
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|nets| Self { nets, header })
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    pub fn header(&self) -> ProxyHeader {
        self.header
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|net| net.contains(&ip))
    }

    /// The client address for a request from `peer` carrying these lines of the configured
    /// header, in order.
    pub fn client_ip(&self, peer: Option<IpAddr>, lines: &[&str]) -> Option<IpAddr> {
        let peer = canonical(peer?);
        if !self.contains(peer) {
            return Some(peer);
        }
        let elements = lines.iter().flat_map(|line| line.split(','));
        let hops: Vec<Option<IpAddr>> = match self.header {
            ProxyHeader::Forwarded => elements.map(forwarded_for).collect(),
            ProxyHeader::XForwardedFor => elements.map(|hop| parse_node(hop.trim())).collect(),
        };
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            // An unparseable hop ("unknown", an obfuscated name) ends the walk: the proxy that
            // reported it is the best identity we have.
            let Some(hop) = hop.map(canonical) else {
                break;
            };
            client = hop;
            if !self.contains(hop) {
                break;
            }
        }
        Some(client)
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) is the IPv4 client it carries.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The `for=` parameter of one `Forwarded` element (RFC 7239 §4, §6).
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("for")
            .then(|| parse_node(value.trim().trim_matches('"')))
            .flatten()
    })
}

/// `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:80`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = node.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    node.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(inner, _)| inner.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(list, ProxyHeader::XForwardedFor).unwrap_or_default()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let none = proxies(&[]);
        let got = none.client_ip(Some(ip("203.0.113.9")), &["198.51.100.1"]);
        assert_eq!(got, Some(ip("203.0.113.9")));
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "127.0.0.1"]);
        // The client prepended a fake address; the proxies appended the real one.
        let got = trusted.client_ip(
            Some(ip("127.0.0.1")),
            &["6.6.6.6, 198.51.100.7", "10.1.2.3"],
        );
        assert_eq!(got, Some(ip("198.51.100.7")));
    }

    #[test]
    fn forwarded_is_parsed_with_quotes_and_ports() {
        let trusted =
            TrustedProxies::parse(&["127.0.0.1/32"], ProxyHeader::Forwarded).unwrap_or_default();
        let got = trusted.client_ip(
            Some(ip("127.0.0.1")),
            &["for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https"],
        );
        assert_eq!(got, Some(ip("2001:db8:cafe::17")));
        let unknown = trusted.client_ip(Some(ip("127.0.0.1")), &["for=unknown"]);
        assert_eq!(
            unknown,
            Some(ip("127.0.0.1")),
            "the walk stops at the reporting proxy"
        );
    }

    #[test]
    fn bad_entries_are_reported() {
        assert_eq!(
            TrustedProxies::parse(&["10.0.0.0/8", "nope"], ProxyHeader::Forwarded).err(),
            Some("nope".to_owned())
        );
    }
}
