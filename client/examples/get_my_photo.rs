//! Get my photo (GetMyPhoto): make me available, read the application again
//! for the `photo` link, and fetch the image.
//!
//! ```sh
//! UCWA_USER=... UCWA_PASSWORD=... cargo run -p ucwa-client --example get_my_photo -- me.jpg
//! ```

use ucwa::enums::ModalityType;
use ucwa::resources::MakeMeAvailableRequest;
use ucwa_client::{Session, SessionBuilder};

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let file = std::env::args().nth(1).ok_or("usage: get_my_photo FILE")?;
    let (content_type, bytes) = get_my_photo(Session::builder_from_env()?).await?;
    std::fs::write(&file, &bytes)?;
    println!("{file}: {} bytes of {content_type}", bytes.len());
    Ok(())
}

/// The photo's media type and bytes.
pub async fn get_my_photo(builder: SessionBuilder) -> Result<(String, Vec<u8>), Failure> {
    let session = builder.sign_in().await?;
    session
        .make_me_available(&MakeMeAvailableRequest {
            supported_modalities: Some(vec![ModalityType::Messaging]),
            ..Default::default()
        })
        .await?;
    session.refresh_application().await?;
    let me = session.me().ok_or("no me")?;
    // The typed GET builds the request; the answer is an image, not a resource.
    let (request, _) = me
        .photo_link()
        .ok_or("no photo link")?
        .get()
        .build()?
        .into_parts();
    let response = session.send(request).await?;
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok());
    let content_type = content_type
        .unwrap_or("application/octet-stream")
        .to_owned();
    session.sign_out().await?;
    Ok((content_type, response.into_body().to_vec()))
}
