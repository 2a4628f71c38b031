//! Subscribe to the presence of contacts (SubscribeToThePresenceOfSelectedContacts):
//! post the subscription, then read each contact's presence when the event
//! channel announces it.
//!
//! ```sh
//! UCWA_USER=... UCWA_PASSWORD=... cargo run -p ucwa-client --example subscribe_to_presence -- sip:bob@contoso.com
//! ```

use futures_util::StreamExt;
use std::time::Duration;
use ucwa::resources::{ContactPresence, PresenceSubscriptionsRequest};
use ucwa::ResourceKind;
use ucwa_client::{ChannelItem, Link, Session, SessionBuilder};

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let uris: Vec<String> = std::env::args().skip(1).collect();
    let presences = subscribe_to_presence(Session::builder_from_env()?, &uris).await?;
    for presence in presences {
        let availability = presence
            .availability
            .map(|availability| availability.to_string());
        println!("{}", availability.as_deref().unwrap_or("unknown"));
    }
    Ok(())
}

/// Subscribes for 11 minutes; the first presence the channel announces for each contact.
pub async fn subscribe_to_presence(
    builder: SessionBuilder,
    uris: &[String],
) -> Result<Vec<ContactPresence>, Failure> {
    let session = builder.sign_in().await?;
    let mut events = session.events(); // before subscribing: the first presence comes at once
    let people = session.people().ok_or("no people resource")?;
    let request = PresenceSubscriptionsRequest::new(11.into(), uris.to_vec()); // 11 minutes
    session
        .post(
            people
                .presence_subscriptions_link()
                .ok_or("no presenceSubscriptions link")?,
            &request,
        )
        .await?;
    let mut presences = Vec::new();
    while presences.len() < uris.len() {
        let next = tokio::time::timeout(Duration::from_secs(60), events.next()).await?;
        if let ChannelItem::Event(event) = next.ok_or("the event channel ended")?? {
            if event.target().rel == ResourceKind::ContactPresence {
                let link: Link<ContactPresence> = Link::new(event.href());
                presences.push(session.get(&link).await?); // GET: a ContactPresence
            }
        }
    }
    session.sign_out().await?;
    Ok(presences)
}
