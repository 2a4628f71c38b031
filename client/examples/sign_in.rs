//! Create an application (CreateAnApplication): autodiscovery from the
//! sign-in address, the `401` challenge answered with the password grant
//! (AuthenticationInUCWA), `POST applications`, and signing out.
//!
//! ```sh
//! UCWA_USER=lenea@contoso.com UCWA_PASSWORD=... cargo run -p ucwa-client --example sign_in
//! ```
//!
//! With `UCWA_DISCOVERY_URL=http://127.0.0.1:PORT/` discovery starts at that
//! root instead of `lyncdiscover.<domain>` (`ucwa-mock serve`'s, for one).

use ucwa_client::{Session, SessionBuilder};

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    println!("{}", sign_in(Session::builder_from_env()?).await?);
    Ok(())
}

/// Signs in, says who and where, and signs out.
pub async fn sign_in(builder: SessionBuilder) -> Result<String, Failure> {
    let session = builder.sign_in().await?; // discovery, the 401, the token, POST applications
    let me = session.me().ok_or("the application embeds no me")?;
    let signed_in = format!(
        "{} ({}) at {}",
        me.name.unwrap_or_default(),
        me.uri.unwrap_or_default(),
        session.application_url()
    );
    session.sign_out().await?; // DELETE the application
    Ok(signed_in)
}
