//! The client's address, for the rate limit and the access log: the TCP peer, or, when the peer is
//! one of the `trusted_proxies`, the right-most address in `Forwarded` (RFC 7239) or
//! `X-Forwarded-For` that is not itself a trusted proxy. From any other peer those headers are
//! ignored, so a client cannot pick its own address.

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::HeaderMap;
use ipnet::IpNet;

/// Parses the `trusted_proxies` setting: addresses (`10.0.0.7`, `::1`) or networks (`10.0.0.0/8`).
pub fn parse_trusted(items: &[String]) -> Result<Vec<IpNet>, String> {
    items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("`{s}` is not an IP address or network like 10.0.0.0/8"))
        })
        .collect()
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    let ip = canonical(ip);
    trusted.iter().any(|n| n.contains(&ip))
}

/// An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The client address of a request that came from `peer` with `headers`.
pub fn resolve(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let Some(peer) = peer.map(canonical) else { return IpAddr::from([0, 0, 0, 0]) };
    if trusted.is_empty() || !is_trusted(peer, trusted) {
        return peer;
    }
    // Hops from the client (left) to the proxy that connected to us (right); `None` for an
    // obfuscated or unknown node, past which nothing can be believed.
    let chain = forwarded_chain(headers);
    let mut last = peer;
    for hop in chain.iter().rev() {
        match hop {
            Some(ip) if is_trusted(*ip, trusted) => last = *ip,
            Some(ip) => return *ip,
            None => return last,
        }
    }
    last
}

/// `Forwarded` when the request has it, else `X-Forwarded-For`; every header line in order.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> = headers.get_all("forwarded").filter_map(|v| v.to_str().ok()).collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|line| line.split(','))
            .map(|element| {
                element.split(';').find_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    k.trim().eq_ignore_ascii_case("for").then(|| node_addr(v))
                })?
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(','))
        .map(node_addr)
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:8080`, `"[2001:db8::1]:4711"`, `2001:db8::1`; `None` for `unknown`,
/// `_hidden` and anything else.
fn node_addr(v: &str) -> Option<IpAddr> {
    let v = v.trim().trim_matches('"').trim();
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok().map(canonical);
    }
    v.parse::<IpAddr>()
        .ok()
        .or_else(|| v.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn headers_count_only_from_a_trusted_peer() {
        let trusted = parse_trusted(&["10.0.0.0/8".into(), "::1".into()]).unwrap();
        let xff = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(resolve(Some(ip("10.1.2.3")), &xff, &trusted), ip("203.0.113.9"));
        assert_eq!(resolve(Some(ip("::1")), &xff, &trusted), ip("203.0.113.9"));
        assert_eq!(resolve(Some(ip("192.0.2.50")), &xff, &trusted), ip("192.0.2.50"));
        assert_eq!(resolve(Some(ip("10.1.2.3")), &xff, &[]), ip("10.1.2.3"));
        assert_eq!(resolve(Some(ip("10.1.2.3")), &HeaderMap::new(), &trusted), ip("10.1.2.3"));
        assert_eq!(resolve(None, &xff, &trusted), ip("0.0.0.0"));
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = parse_trusted(&["10.0.0.0/8".into()]).unwrap();
        let peer = Some(ip("10.0.0.1"));
        // A client that writes its own X-Forwarded-For only adds hops to the left.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.9, 10.0.0.2")]);
        assert_eq!(resolve(peer, &h, &trusted), ip("203.0.113.9"));
        let h = headers(&[("x-forwarded-for", "6.6.6.6"), ("x-forwarded-for", "203.0.113.9:5000")]);
        assert_eq!(resolve(peer, &h, &trusted), ip("203.0.113.9"));
        // Everything trusted: the left-most hop.
        let h = headers(&[("x-forwarded-for", "10.0.0.9, 10.0.0.2")]);
        assert_eq!(resolve(peer, &h, &trusted), ip("10.0.0.9"));
        // An unknown hop stops the walk at the last trusted one.
        let h = headers(&[("x-forwarded-for", "203.0.113.9, unknown, 10.0.0.2")]);
        assert_eq!(resolve(peer, &h, &trusted), ip("10.0.0.2"));
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_for() {
        let trusted = parse_trusted(&["127.0.0.1".into()]).unwrap();
        let peer = Some(ip("127.0.0.1"));
        let h = headers(&[
            ("forwarded", "for=6.6.6.6, for=\"[2001:db8::7]:4711\";proto=https;by=127.0.0.1"),
            ("x-forwarded-for", "198.51.100.1"),
        ]);
        assert_eq!(resolve(peer, &h, &trusted), ip("2001:db8::7"));
        let h = headers(&[("forwarded", "For=192.0.2.60:80;proto=http")]);
        assert_eq!(resolve(peer, &h, &trusted), ip("192.0.2.60"));
        let h = headers(&[("forwarded", "for=_hidden")]);
        assert_eq!(resolve(peer, &h, &trusted), ip("127.0.0.1"));
        assert_eq!(resolve(Some(ip("::ffff:127.0.0.1")), &headers(&[("forwarded", "for=192.0.2.61")]), &trusted), ip("192.0.2.61"));
    }

    #[test]
    fn bad_entries_are_named() {
        let e = parse_trusted(&["10.0.0.0/33".into()]).unwrap_err();
        assert!(e.contains("10.0.0.0/33"), "{e}");
        assert!(parse_trusted(&["nowhere".into()]).is_err());
        assert_eq!(parse_trusted(&[" 192.0.2.1 ".into(), String::new()]).unwrap().len(), 1);
    }
}
