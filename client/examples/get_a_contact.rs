//! Get a contact's data (GetAContactData): read the contact list the
//! `people` resource links, find the contact, and read it.
//!
//! ```sh
//! UCWA_USER=... UCWA_PASSWORD=... cargo run -p ucwa-client --example get_a_contact -- sip:bob@contoso.com
//! ```

use ucwa::resources::Contact;
use ucwa_client::{Session, SessionBuilder};

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let uri = std::env::args()
        .nth(1)
        .ok_or("usage: get_a_contact SIP_URI")?;
    let contact = get_a_contact(Session::builder_from_env()?, &uri).await?;
    let emails = contact.email_addresses.unwrap_or_default().join(", ");
    println!("{} <{emails}>", contact.name.unwrap_or_default());
    Ok(())
}

/// The contact with this SIP URI, read from its own resource.
pub async fn get_a_contact(builder: SessionBuilder, uri: &str) -> Result<Contact, Failure> {
    let session = builder.sign_in().await?;
    let people = session.people().ok_or("no people resource")?;
    let list = session
        .get(people.my_contacts_link().ok_or("no myContacts link")?)
        .await?;
    let listed = list
        .embedded
        .iter()
        .flat_map(|embedded| embedded.contact.iter().flat_map(|contacts| contacts.iter()))
        .find(|contact| contact.uri.as_deref() == Some(uri))
        .ok_or("not in the contact list")?;
    let contact = session
        .get(listed.self_link().ok_or("no self link")?)
        .await?; // GET: a Contact
    session.sign_out().await?;
    Ok(contact)
}
