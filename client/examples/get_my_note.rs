//! Get my note (GetMyNoteInformation): make me available, read the
//! application again for the `note` link, read the note.
//!
//! ```sh
//! UCWA_USER=... UCWA_PASSWORD=... cargo run -p ucwa-client --example get_my_note
//! ```

use ucwa::enums::ModalityType;
use ucwa::resources::{MakeMeAvailableRequest, Note};
use ucwa_client::{Session, SessionBuilder};

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let note = get_my_note(Session::builder_from_env()?).await?;
    let kind = note.r#type.map(|kind| kind.to_string()).unwrap_or_default();
    println!("{kind} note: {}", note.message.unwrap_or_default());
    Ok(())
}

/// The signed-in user's note.
pub async fn get_my_note(builder: SessionBuilder) -> Result<Note, Failure> {
    let session = builder.sign_in().await?;
    session
        .make_me_available(&MakeMeAvailableRequest {
            supported_modalities: Some(vec![ModalityType::Messaging]),
            ..Default::default()
        })
        .await?;
    session.refresh_application().await?; // `me` links the note once the user is available
    let me = session.me().ok_or("no me")?;
    let note = session.get(me.note_link().ok_or("no note link")?).await?; // GET: a Note
    session.sign_out().await?;
    Ok(note)
}
