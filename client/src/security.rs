//! RootURL's security check: where the client may follow discovery links,
//! and where it may send tokens and passwords.
//!
//! - A discovery redirect received over HTTPS may be followed; one received
//!   over plain HTTP only to the sign-in domain or a host the user allows
//!   (the flowchart of `UCWA15Con_SecurityCheck.png`).
//! - Tokens and passwords go only to hosts in the sign-in domain (the domain
//!   itself or a subdomain) and to the hosts the user allows, and only over
//!   HTTPS, except to loopback addresses (a local test server).

use crate::error::Error;
use std::net::IpAddr;
use url::{Host, Url};

/// A host the user allows: exactly one name or address, or every name under
/// a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostPattern {
    /// `pool.example.com`, `127.0.0.1` or `::1`: that host only. Addresses are
    /// compared as addresses, so `[::1]` and `0:0::1` are one host.
    Exact(Host<String>),
    /// `*.example.com`: `example.com` and every name under it. Never an IP
    /// address and never a public suffix.
    Domain(String),
}

impl HostPattern {
    /// Reads `host`, `*.domain` or `.domain`; case-insensitive.
    ///
    /// A domain pattern over a public suffix (`*.com`, `*.co.uk`,
    /// `*.github.io`) is refused: anyone may register a name under it. So is
    /// one over an IP address (`*.0.1`), which has no subdomains.
    pub(crate) fn parse(text: &str) -> Result<HostPattern, Error> {
        let text = text.trim().to_ascii_lowercase();
        let (domain, name) = match text.strip_prefix("*.").or_else(|| text.strip_prefix('.')) {
            Some(domain) => (true, domain.to_owned()),
            None => (false, text),
        };
        let refuse = |why: &str| Err(Error::Config(format!("the host pattern {name:?}: {why}")));
        let valid = !name.is_empty()
            && name.len() <= 253
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '[' | ']'));
        if !valid {
            return refuse("not a host name or pattern");
        }
        let host = match parse_host(&name) {
            Some(host) => host,
            None => return refuse("not a host name or address"),
        };
        match (domain, host) {
            (false, host) => Ok(HostPattern::Exact(host)),
            (true, Host::Domain(name)) if is_public_suffix(&name) => refuse(
                "a public suffix: every host anyone registers under it would be trusted; name the hosts or a registered domain",
            ),
            (true, Host::Domain(name)) => Ok(HostPattern::Domain(name)),
            (true, _) => refuse("an IP address has no subdomains; name the address alone"),
        }
    }

    /// What the sign-in domain trusts: the domain and every name under it,
    /// or, when the domain is a public suffix (`user@com`), that name alone.
    fn sign_in(domain: &str) -> HostPattern {
        match parse_host(domain) {
            Some(Host::Domain(name)) if !is_public_suffix(&name) => HostPattern::Domain(name),
            Some(host) => {
                tracing::warn!(
                    domain,
                    "the sign-in domain is a public suffix or an address: only that host is trusted, none under it"
                );
                HostPattern::Exact(host)
            }
            // Not a host at all: nothing is trusted through it.
            None => HostPattern::Exact(Host::Domain(String::new())),
        }
    }

    fn matches(&self, host: &Host<String>) -> bool {
        match (self, host) {
            (HostPattern::Exact(name), host) => name == host,
            // Only a name is under a domain: `127.0.0.1` is not under `0.1`.
            (HostPattern::Domain(domain), Host::Domain(name)) => in_domain(name, domain),
            (HostPattern::Domain(_), _) => false,
        }
    }
}

/// A host as the URL parser reads it (so `0.1`, `0x7f.1` and `[::1]` are
/// addresses, as they would be in a link), names in lower case without a
/// final dot.
fn parse_host(text: &str) -> Option<Host<String>> {
    let text = text.trim_end_matches('.');
    let bracketed;
    let text = if text.contains(':') && !text.starts_with('[') {
        bracketed = format!("[{text}]");
        &bracketed
    } else {
        text
    };
    Some(normal_host(Host::parse(text).ok()?))
}

fn normal_host(host: Host<String>) -> Host<String> {
    match host {
        Host::Domain(name) => Host::Domain(name.trim_end_matches('.').to_ascii_lowercase()),
        address => address,
    }
}

/// A name under which anyone may register (`com`, `co.uk`, `github.io`, or
/// a top-level label the list does not know), by the public-suffix list
/// compiled into `psl`.
fn is_public_suffix(name: &str) -> bool {
    psl::domain_str(name).is_none()
}

/// `host` is `domain` or a name under it (`lyncweb.contoso.com` in `contoso.com`).
fn in_domain(host: &str, domain: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|prefix| prefix.ends_with('.'))
}

/// The sign-in domain and the hosts the user allows.
#[derive(Debug, Clone)]
pub(crate) struct HostPolicy {
    sign_in_domain: String,
    sign_in: HostPattern,
    allowed: Vec<HostPattern>,
}

impl HostPolicy {
    pub(crate) fn new(sign_in_domain: &str, allowed: Vec<HostPattern>) -> HostPolicy {
        HostPolicy {
            sign_in_domain: sign_in_domain.to_ascii_lowercase(),
            sign_in: HostPattern::sign_in(sign_in_domain),
            allowed,
        }
    }

    /// Whether the host is trusted: in the sign-in domain or allowed.
    fn trusted(&self, url: &Url) -> bool {
        url.host()
            .map(|host| normal_host(host.to_owned()))
            .is_some_and(|host| {
                self.sign_in.matches(&host)
                    || self.allowed.iter().any(|pattern| pattern.matches(&host))
            })
    }

    /// May a token or a password be sent to `url`?
    pub(crate) fn check_credentials(&self, url: &Url) -> Result<(), Error> {
        let refuse = |reason: &str| {
            Err(Error::Security {
                url: url.to_string(),
                reason: reason.to_owned(),
            })
        };
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(url) => {}
            "http" => return refuse("credentials are never sent over plain HTTP"),
            _ => return refuse("not an HTTP URL"),
        }
        if self.trusted(url) {
            Ok(())
        } else {
            refuse(&format!(
                "the host is outside the sign-in domain {} and not among the allowed hosts",
                self.sign_in_domain
            ))
        }
    }

    /// May discovery follow a redirect (a 3xx `Location` or a `redirect`
    /// link) to `target`, read from a response to `from`?
    pub(crate) fn check_redirect(&self, from: &Url, target: &Url) -> Result<(), Error> {
        if !matches!(target.scheme(), "https" | "http") {
            return Err(Error::Security {
                url: target.to_string(),
                reason: "a redirect must be an HTTP URL".into(),
            });
        }
        if from.scheme() == "https" || self.trusted(target) {
            return Ok(());
        }
        Err(Error::Security {
            url: target.to_string(),
            reason: format!(
                "redirect read over plain HTTP from {from} leaves the sign-in domain {} and the allowed hosts",
                self.sign_in_domain
            ),
        })
    }
}

/// A proxy the user names, checked as a credential's destination would be:
/// `http` or `https`; a proxy over plain HTTP elsewhere than this machine
/// may not carry credentials of its own in its URL (they would cross the
/// network in clear). Requests through it are HTTPS tunnelled with
/// `CONNECT` (the security check sends credentials over plain HTTP to
/// loopback only, and loopback bypasses the proxy), so the proxy sees hosts,
/// never tokens or passwords.
pub(crate) fn check_proxy(proxy: &str) -> Result<Url, Error> {
    let refuse = |why: String| {
        Err(Error::Config(format!(
            "the proxy {}: {why}",
            redact_userinfo(proxy)
        )))
    };
    let url = match Url::parse(proxy) {
        Ok(url) => url,
        Err(error) => return refuse(error.to_string()),
    };
    if url.host().is_none() {
        return refuse("it has no host".into());
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" if url.username().is_empty() && url.password().is_none() => {}
        "http" => return refuse("a plain-HTTP proxy elsewhere than this machine would see its credentials in clear; use https".into()),
        other => return refuse(format!("the scheme {other:?} is not http or https")),
    }
    Ok(url)
}

/// `scheme://host…` with any `user:password@` left out, for messages.
fn redact_userinfo(text: &str) -> String {
    match Url::parse(text) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Err(_) => "(not a URL)".into(),
    }
}

/// Whether `url` names this machine: 127.0.0.0/8, ::1 or `localhost`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(address)) => IpAddr::V4(address).is_loopback(),
        Some(Host::Ipv6(address)) => IpAddr::V6(address).is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("valid URL")
    }

    fn policy(allowed: &[&str]) -> HostPolicy {
        let allowed = allowed
            .iter()
            .map(|pattern| HostPattern::parse(pattern).expect("pattern"))
            .collect();
        HostPolicy::new("Contoso.com", allowed)
    }

    #[test]
    fn credentials_go_to_the_sign_in_domain_over_https_only() {
        let policy = policy(&[]);
        for ok in [
            "https://contoso.com/WebTicket/oauthtoken",
            "https://lyncweb.contoso.com/ucwa/oauth/v1/applications",
            "https://LYNCWEB.CONTOSO.COM./x",
        ] {
            assert!(policy.check_credentials(&url(ok)).is_ok(), "{ok}");
        }
        for refused in [
            "http://lyncweb.contoso.com/WebTicket/oauthtoken",
            "https://evilcontoso.com/WebTicket/oauthtoken",
            "https://contoso.com.evil.net/WebTicket/oauthtoken",
            "https://login.microsoftonline.com/oauth2/token",
            "ftp://contoso.com/x",
        ] {
            let error = policy.check_credentials(&url(refused)).expect_err(refused);
            assert!(matches!(error, Error::Security { .. }), "{error}");
        }
    }

    #[test]
    fn allowed_hosts_and_domains_extend_the_sign_in_domain() {
        let policy = policy(&[
            "webpool1.infra.lync.com",
            "*.online.lync.com",
            "127.0.0.1",
            "[::1]",
        ]);
        assert!(policy
            .check_credentials(&url("https://webpool1.infra.lync.com/ucwa"))
            .is_ok());
        assert!(policy
            .check_credentials(&url("https://webpool2.infra.lync.com/ucwa"))
            .is_err());
        assert!(policy
            .check_credentials(&url("https://webdir0a.online.lync.com/x"))
            .is_ok());
        assert!(policy
            .check_credentials(&url("https://online.lync.com/x"))
            .is_ok());
        assert!(policy
            .check_credentials(&url("https://notonline.lync.com/x"))
            .is_err());
        // Plain HTTP is allowed to loopback addresses only, and only when trusted.
        assert!(policy
            .check_credentials(&url("http://127.0.0.1:8080/x"))
            .is_ok());
        assert!(policy
            .check_credentials(&url("http://[::1]:8080/x"))
            .is_ok());
        assert!(policy
            .check_credentials(&url("http://127.0.0.2:8080/x"))
            .is_err());
        assert!(policy.check_credentials(&url("http://10.0.0.1/x")).is_err());
    }

    #[test]
    fn host_patterns_reject_junk() {
        assert!(HostPattern::parse("").is_err());
        assert!(HostPattern::parse("*.").is_err());
        assert!(HostPattern::parse("host/path").is_err());
        assert!(HostPattern::parse("user@host").is_err());
        assert_eq!(
            HostPattern::parse(" *.Example.COM ").expect("valid"),
            HostPattern::Domain("example.com".into())
        );
        assert_eq!(
            HostPattern::parse(".example.com").expect("valid"),
            HostPattern::Domain("example.com".into())
        );
    }

    #[test]
    fn a_public_suffix_never_trusts_the_names_under_it() {
        // `x@com` used to trust every `*.com` host.
        let policy = HostPolicy::new("com", Vec::new());
        for refused in ["https://evil.com/x", "https://lyncweb.contoso.com/x"] {
            assert!(
                policy.check_credentials(&url(refused)).is_err(),
                "{refused}"
            );
        }
        assert!(policy.check_credentials(&url("https://com/x")).is_ok());
        for sign_in in ["co.uk", "github.io", "localhost", "corp"] {
            let policy = HostPolicy::new(sign_in, Vec::new());
            let under = url(&format!("https://anyone.{sign_in}/x"));
            assert!(policy.check_credentials(&under).is_err(), "{sign_in}");
        }
        // A registered domain under a multi-label suffix keeps its subdomains.
        let policy = HostPolicy::new("contoso.co.uk", Vec::new());
        assert!(policy
            .check_credentials(&url("https://lyncweb.contoso.co.uk/x"))
            .is_ok());
        assert!(policy
            .check_credentials(&url("https://fabrikam.co.uk/x"))
            .is_err());
        for suffix in ["*.com", ".co.uk", "*.github.io", "*.localhost"] {
            let error = HostPattern::parse(suffix).expect_err(suffix);
            assert!(error.to_string().contains("public suffix"), "{error}");
        }
        assert_eq!(
            HostPattern::parse("*.contoso.co.uk").expect("registered domain"),
            HostPattern::Domain("contoso.co.uk".into())
        );
    }

    #[test]
    fn addresses_are_matched_whole_never_as_domains() {
        // A sign-in domain `0.1` used to match the text `127.0.0.1`.
        let policy = HostPolicy::new("0.1", Vec::new());
        assert!(policy
            .check_credentials(&url("http://127.0.0.1:8080/x"))
            .is_err());
        let policy = HostPolicy::new("contoso.com", Vec::new());
        assert!(policy
            .check_credentials(&url("http://127.0.0.1:8080/x"))
            .is_err());
        for pattern in ["*.0.1", "*.127.0.0.1", "*.[::1]"] {
            assert!(HostPattern::parse(pattern).is_err(), "{pattern}");
        }
        // Addresses compare as addresses, however they are written.
        let policy = HostPolicy::new("contoso.com", vec![HostPattern::parse("::1").expect("ok")]);
        assert!(policy
            .check_credentials(&url("http://[0:0::1]:1/x"))
            .is_ok());
        let policy = HostPolicy::new(
            "contoso.com",
            vec![HostPattern::parse("127.0.0.1").expect("ok")],
        );
        assert!(policy.check_credentials(&url("http://0x7f.1:1/x")).is_ok());
        assert!(policy
            .check_credentials(&url("http://127.0.0.2:1/x"))
            .is_err());
    }

    #[test]
    fn redirects_over_http_must_stay_trusted() {
        let policy = policy(&["trusted.example.net"]);
        let https = url("https://lyncdiscover.contoso.com/");
        let http = url("http://lyncdiscover.contoso.com/");
        let elsewhere = url("https://evil.example.org/root");
        assert!(policy.check_redirect(&https, &elsewhere).is_ok());
        assert!(policy.check_redirect(&http, &elsewhere).is_err());
        assert!(policy
            .check_redirect(&http, &url("https://lyncweb.contoso.com/root"))
            .is_ok());
        assert!(policy
            .check_redirect(&http, &url("https://trusted.example.net/root"))
            .is_ok());
        assert!(policy
            .check_redirect(&https, &url("javascript:alert(1)"))
            .is_err());
    }

    #[test]
    fn loopback_is_127_slash_8_ipv6_one_and_localhost() {
        assert!(is_loopback(&url("http://127.0.0.1/")));
        assert!(is_loopback(&url("http://127.9.9.9/")));
        assert!(is_loopback(&url("http://[::1]/")));
        assert!(is_loopback(&url("http://LocalHost:1/")));
        assert!(!is_loopback(&url("http://localhost.evil.net/")));
        assert!(!is_loopback(&url("http://192.168.1.1/")));
    }
}
