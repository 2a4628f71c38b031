//! Get my presence (GetMyPresenceInformation): make me available, read the
//! application again for the `presence` link, read the presence.
//!
//! ```sh
//! UCWA_USER=... UCWA_PASSWORD=... cargo run -p ucwa-client --example get_my_presence
//! ```

use ucwa::enums::ModalityType;
use ucwa::resources::{MakeMeAvailableRequest, Presence};
use ucwa_client::{Session, SessionBuilder};

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let presence = get_my_presence(Session::builder_from_env()?).await?;
    let availability = presence
        .availability
        .map(|availability| availability.to_string());
    println!("{}", availability.as_deref().unwrap_or("unknown"));
    Ok(())
}

/// The signed-in user's presence.
pub async fn get_my_presence(builder: SessionBuilder) -> Result<Presence, Failure> {
    let session = builder.sign_in().await?;
    session
        .make_me_available(&MakeMeAvailableRequest {
            supported_modalities: Some(vec![ModalityType::Messaging]),
            ..Default::default()
        })
        .await?;
    session.refresh_application().await?; // `me` links presence once the user is available
    let me = session.me().ok_or("no me")?;
    let presence = session
        .get(me.presence_link().ok_or("no presence link")?)
        .await?; // GET: a Presence
    session.sign_out().await?;
    Ok(presence)
}
