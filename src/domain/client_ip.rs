//! Who the client is when Gatehouse sits behind reverse proxies. Forwarded headers are only
//! believed when the TCP peer is a configured trusted proxy (`server.trusted_proxies`);
//! otherwise anyone could pick their own rate-limit key. The chain is walked from the right
//! (the hop nearest to us) and the first address that is not a trusted proxy is the client,
//! so a client cannot prepend a fake address (RFC 7239 §7.4).
use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

/// The parsed `server.trusted_proxies` list.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses CIDR ranges (`10.0.0.0/8`) or bare addresses (`127.0.0.1`, taken as /32 or /128).
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
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
            .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client address for a request from `peer` carrying these header values (every
    /// `Forwarded` line, every `X-Forwarded-For` line, in order). `Forwarded` wins when present.
    pub fn client_ip(
        &self,
        peer: Option<IpAddr>,
        forwarded: &[&str],
        x_forwarded_for: &[&str],
    ) -> Option<IpAddr> {
        let peer = canonical(peer?);
        if !self.contains(peer) {
            return Some(peer);
        }
        let hops: Vec<Option<IpAddr>> = if !forwarded.is_empty() {
            forwarded
                .iter()
                .flat_map(|line| line.split(','))
                .map(forwarded_for)
                .collect()
        } else {
            x_forwarded_for
                .iter()
                .flat_map(|line| line.split(','))
                .map(|hop| parse_node(hop.trim()))
                .collect()
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
        TrustedProxies::parse(list).unwrap_or_default()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let none = proxies(&[]);
        let got = none.client_ip(Some(ip("203.0.113.9")), &[], &["198.51.100.1"]);
        assert_eq!(got, Some(ip("203.0.113.9")));
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "127.0.0.1"]);
        // The client prepended a fake address; the proxies appended the real one.
        let got = trusted.client_ip(
            Some(ip("127.0.0.1")),
            &[],
            &["6.6.6.6, 198.51.100.7", "10.1.2.3"],
        );
        assert_eq!(got, Some(ip("198.51.100.7")));
    }

    #[test]
    fn forwarded_wins_and_is_parsed_with_quotes_and_ports() {
        let trusted = proxies(&["127.0.0.1/32"]);
        let got = trusted.client_ip(
            Some(ip("127.0.0.1")),
            &["for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https"],
            &["198.51.100.7"],
        );
        assert_eq!(got, Some(ip("2001:db8:cafe::17")));
    }

    #[test]
    fn an_unknown_hop_stops_the_walk_at_the_proxy_that_reported_it() {
        let trusted = proxies(&["127.0.0.1"]);
        let got = trusted.client_ip(Some(ip("127.0.0.1")), &["for=unknown"], &[]);
        assert_eq!(got, Some(ip("127.0.0.1")));
    }

    #[test]
    fn bad_entries_are_reported() {
        assert_eq!(
            TrustedProxies::parse(&["10.0.0.0/8", "nope"]).err(),
            Some("nope".to_owned())
        );
    }
}
