//! Sign in with an Azure AD access token (AuthenticationUsingAzureAD): the
//! application got the token from Azure AD before calling UCWA, and creates
//! its application at the applications URL the user resource names.
//!
//! ```sh
//! UCWA_USER=... UCWA_TOKEN=... cargo run -p ucwa-client --example azure_ad -- \
//!     https://webpoolXY.infra.lync.com/ucwa/oauth/v1/applications
//! ```

use ucwa_client::{Session, SessionBuilder, Token};

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let user = std::env::var("UCWA_USER")?;
    let token = std::env::var("UCWA_TOKEN")?;
    let applications = std::env::args()
        .nth(1)
        .ok_or("usage: azure_ad APPLICATIONS_URL")?;
    let builder = Session::builder(&user).user_agent("UCWA Samples");
    println!(
        "{}",
        sign_in_with_azure_ad(builder, &token, &applications).await?
    );
    Ok(())
}

/// Creates the application with `token` held from the start; its URL.
pub async fn sign_in_with_azure_ad(
    builder: SessionBuilder,
    token: &str,
    applications_url: &str,
) -> Result<String, Failure> {
    let session = builder
        .bearer_token(Token::bearer(token)) // sent with the first request, no 401 first
        .applications_url(applications_url) // its host is trusted with the token
        .sign_in()
        .await?;
    let application = session.application_url().to_string();
    session.sign_out().await?;
    Ok(application)
}
