//! Set my presence (SetMyPresenceInformation): make me available, read the
//! application again for the `presence` link, post the availability.
//!
//! ```sh
//! UCWA_USER=... UCWA_PASSWORD=... cargo run -p ucwa-client --example set_my_presence -- Away
//! ```

use ucwa::enums::{ModalityType, PreferredAvailability};
use ucwa::resources::{MakeMeAvailableRequest, PresenceRequest};
use ucwa_client::{Session, SessionBuilder};

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let availability = std::env::args().nth(1).unwrap_or_else(|| "Online".into());
    let availability = PreferredAvailability::from(availability.as_str()); // Online, Busy, Away...
    set_my_presence(Session::builder_from_env()?, availability).await?;
    println!("presence set");
    Ok(())
}

/// Sets the signed-in user's availability.
pub async fn set_my_presence(
    builder: SessionBuilder,
    availability: PreferredAvailability,
) -> Result<(), Failure> {
    let session = builder.sign_in().await?;
    session
        .make_me_available(&MakeMeAvailableRequest {
            supported_modalities: Some(vec![ModalityType::Messaging]),
            ..Default::default()
        })
        .await?;
    session.refresh_application().await?;
    let me = session.me().ok_or("no me")?;
    let presence = me.presence_link().ok_or("no presence link")?;
    let request = PresenceRequest {
        availability: Some(availability),
        ..Default::default()
    };
    session.post(presence, &request).await?; // 204 No Content
    session.sign_out().await?;
    Ok(())
}
