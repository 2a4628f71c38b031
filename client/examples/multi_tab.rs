//! One application for several browser tabs (MultiTabSupport): each tab
//! posts the same `culture`, `endpointId`, `type` and `userAgent` with its
//! own `instanceId`, and gets its own event channel.
//!
//! ```sh
//! UCWA_USER=... UCWA_PASSWORD=... cargo run -p ucwa-client --example multi_tab -- ENDPOINT_ID INSTANCE_ID
//! ```

use ucwa_client::{ApplicationsRequest, Session, SessionBuilder};

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint_id, instance_id] = args.as_slice() else {
        return Err("usage: multi_tab ENDPOINT_ID INSTANCE_ID".into());
    };
    let builder = Session::builder_from_env()?;
    println!(
        "{}",
        open_tab(builder, "my-app/1.0", endpoint_id, instance_id).await?
    );
    Ok(())
}

/// Opens a tab's instance of the application; the URL of its event channel.
pub async fn open_tab(
    builder: SessionBuilder,
    user_agent: &str,
    endpoint_id: &str,
    instance_id: &str,
) -> Result<String, Failure> {
    let mut extra = serde_json::Map::new();
    extra.insert("type".into(), "Browser".into()); // not on the reference page
    let request = ApplicationsRequest {
        culture: "en-us".into(),
        endpoint_id: endpoint_id.into(),
        instance_id: Some(instance_id.into()),
        user_agent: user_agent.into(),
        extra,
    };
    let session = builder.application_request(request).sign_in().await?;
    let events = session
        .application()
        .events_link()
        .ok_or("no event channel")?
        .href()
        .to_owned();
    session.sign_out().await?;
    Ok(events)
}
