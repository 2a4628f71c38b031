//! Get an OAuth token without creating an application
//! (AuthenticationInUCWA): answer the MsRtcOAuth challenge of a `401` with
//! a grant posted to the token service. The password grant of
//! `UCWA_USER`/`UCWA_PASSWORD`, or joining a meeting anonymously:
//!
//! ```sh
//! UCWA_USER=... UCWA_PASSWORD=... cargo run -p ucwa-client --example get_a_token -- \
//!     https://lyncweb.contoso.com/WebTicket/oauthtoken \
//!     ['sip:john@contoso.com;gruu;opaque=app:conf:focus:id:G03W98W4' G03W98W4]
//! ```

use ucwa_client::{FormGrant, MsRtcOAuth, Session, SessionBuilder, Token};

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: get_a_token TOKEN_URL [CONFERENCE_URI CONFERENCE_KEY]";
    let token_url = args.first().ok_or(usage)?;
    let mut builder = Session::builder_from_env()?;
    if let [_, conference, key] = args.as_slice() {
        builder = builder.token_source(FormGrant::anonymous_meeting(conference, key));
    }
    let token = get_a_token(builder, token_url).await?;
    let seconds = token.remaining().map_or(0, |left| left.as_secs());
    println!("a {} token, valid for {seconds} s", token.token_type());
    Ok(())
}

/// A token from the service at `token_url`, by the builder's grant. Its host
/// must be one the builder trusts with credentials (the sign-in domain, or
/// `allow_host`).
pub async fn get_a_token(builder: SessionBuilder, token_url: &str) -> Result<Token, Failure> {
    let challenge = MsRtcOAuth {
        token_url: token_url.parse()?,
        grant_types: Vec::new(), // as the 401 lists them; none: any grant
    };
    Ok(builder.request_token(&challenge).await?)
}
