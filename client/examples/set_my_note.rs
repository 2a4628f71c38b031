//! Set my note (Setmynoteinformation): make me available, read the
//! application again for the `note` link, post the message.
//!
//! ```sh
//! UCWA_USER=... UCWA_PASSWORD=... cargo run -p ucwa-client --example set_my_note -- "In a meeting"
//! ```

use ucwa::enums::ModalityType;
use ucwa::resources::{MakeMeAvailableRequest, NoteRequest};
use ucwa_client::{Session, SessionBuilder};

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let message = std::env::args()
        .nth(1)
        .ok_or("usage: set_my_note MESSAGE")?;
    set_my_note(Session::builder_from_env()?, &message).await?;
    println!("note set");
    Ok(())
}

/// Sets the signed-in user's personal note.
pub async fn set_my_note(builder: SessionBuilder, message: &str) -> Result<(), Failure> {
    let session = builder.sign_in().await?;
    session
        .make_me_available(&MakeMeAvailableRequest {
            supported_modalities: Some(vec![ModalityType::Messaging]),
            ..Default::default()
        })
        .await?;
    session.refresh_application().await?;
    let me = session.me().ok_or("no me")?;
    let request = NoteRequest {
        message: Some(message.into()),
        ..Default::default()
    };
    session
        .post(me.note_link().ok_or("no note link")?, &request)
        .await?; // 204 No Content
    session.sign_out().await?;
    Ok(())
}
