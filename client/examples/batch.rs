//! Group requests in a batch (GroupingRequestsInABatch): the contact list and
//! `me` read in one `multipart/batching` POST, each answer read by its typed
//! operation.
//!
//! ```sh
//! UCWA_USER=... UCWA_PASSWORD=... cargo run -p ucwa-client --example batch
//! ```

use ucwa_client::{Session, SessionBuilder};

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    println!("{}", batch(Session::builder_from_env()?).await?);
    Ok(())
}

/// How many contacts, and who is signed in, from one batch.
pub async fn batch(builder: SessionBuilder) -> Result<String, Failure> {
    let session = builder.sign_in().await?;
    let people = session.people().ok_or("no people resource")?;
    let me = session.me().ok_or("no me")?;
    // Typed requests, built but not sent; each keeps the reader of its answer.
    let (contacts, read_contacts) = people
        .my_contacts_link()
        .ok_or("no myContacts")?
        .get()
        .build()?
        .into_parts();
    let (myself, read_me) = me
        .self_link()
        .ok_or("no self link")?
        .get()
        .build()?
        .into_parts();
    let mut answers = session.batch(vec![contacts, myself]).await?.into_iter(); // one POST
    let contacts = read_contacts.read(&answers.next().ok_or("no answer")??)?;
    let me = read_me.read(&answers.next().ok_or("no answer")??)?;
    session.sign_out().await?;
    let count = contacts
        .embedded
        .and_then(|embedded| embedded.contact)
        .map_or(0, |contacts| contacts.iter().count());
    Ok(format!(
        "{count} contacts; signed in as {}",
        me.name.unwrap_or_default()
    ))
}
