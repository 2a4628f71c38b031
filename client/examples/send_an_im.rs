//! Send an IM (SendAnIM): start messaging, read the conversation and its
//! connected messaging modality, send a message, and stop.
//!
//! ```sh
//! UCWA_USER=... UCWA_PASSWORD=... cargo run -p ucwa-client --example send_an_im -- sip:bob@contoso.com Lunch "What's up?"
//! ```

use ucwa::enums::Importance;
use ucwa::resources::{MessagingInvitation, StartMessagingRequest};
use ucwa_client::{NoBody, Session, SessionBuilder};

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [to, subject, text] = args.as_slice() else {
        return Err("usage: send_an_im SIP_URI SUBJECT TEXT".into());
    };
    let state = send_an_im(Session::builder_from_env()?, to, subject, text).await?;
    println!("sent; the conversation was {state}");
    Ok(())
}

/// Sends `text` to `to`; the conversation's state when the message went.
pub async fn send_an_im(
    builder: SessionBuilder,
    to: &str,
    subject: &str,
    text: &str,
) -> Result<String, Failure> {
    let session = builder.sign_in().await?;
    let communication = session.communication().ok_or("no communication resource")?;
    let start = communication
        .start_messaging_link()
        .ok_or("no startMessaging link")?;
    // `operationId` is left out: the session adds one and follows it on the event channel.
    let request = StartMessagingRequest {
        subject: Some(subject.into()),
        importance: Some(Importance::Normal),
        ..StartMessagingRequest::new(to.into())
    };
    let started = session.start(start, &request).await?; // POST: 201 Created
    let completed = started.completed().await?.ok_or("no completed event")?;
    let invitation: MessagingInvitation = completed.resource_as().ok_or("no invitation")??;
    let conversation = session
        .get(invitation.conversation_link().ok_or("no conversation")?)
        .await?;
    let messaging = session
        .get(conversation.messaging_link().ok_or("no messaging")?)
        .await?;
    let send = messaging
        .send_message_link()
        .ok_or("not connected: no sendMessage link")?;
    let sent = session.start_request(send.post_text(text)).await?; // 201 Created
    sent.completed().await?; // delivered
    let stop = messaging
        .stop_messaging_link()
        .ok_or("no stopMessaging link")?;
    session.post(stop, &NoBody).await?; // 204 No Content
    session.sign_out().await?;
    Ok(conversation.state.unwrap_or_default())
}
