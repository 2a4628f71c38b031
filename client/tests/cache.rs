//! The session's resource cache: what a typed GET read and what events
//! embed is returned by `Session::cached` without a request, kept current by
//! `updated`/`added`/`deleted`, and emptied by `resync`.

mod common;

use common::{bounded, builder, Fake, Reply, APP};
use futures_util::StreamExt;
use serde_json::{json, Value};
use ucwa::resources::{Note, Presence};
use ucwa_client::{ChannelItem, EventStream, Session};
use ucwa_runtime::Link;

fn events_href(ack: u32) -> String {
    format!("{APP}/events?ack={ack}")
}

fn answer(ack: u32, events: Value) -> Value {
    json!({"_links": {"next": {"href": events_href(ack + 1)}},
        "sender": [{"rel": "me", "href": format!("{APP}/me"), "events": events}]})
}

/// Reads the stream until an item `want` accepts.
async fn until(events: &mut EventStream, want: impl Fn(&ChannelItem) -> bool) {
    loop {
        let item = events.next().await.expect("an item").expect("no error");
        if want(&item) {
            return;
        }
    }
}

fn availability(session: &Session, link: &Link<Presence>) -> Option<String> {
    session
        .cached(link)
        .and_then(|presence: Presence| presence.availability)
        .map(|availability| availability.as_str().to_owned())
}

#[tokio::test]
async fn events_keep_what_a_read_returned_current_and_resync_empties_it() {
    bounded(async {
        let fake = Fake::start().await;
        let presence = format!("{APP}/me/presence");
        let note = format!("{APP}/me/note");
        fake.push(
            "GET",
            &presence,
            Reply::Json(
                200,
                json!({"availability": "Online", "rel": "presence", "_links": {"self": {"href": presence}}}),
            ),
        );
        let session = builder(&fake).sign_in().await.expect("signs in");
        let link = Link::<Presence>::new(presence.clone());
        assert!(session.cached(&link).is_none(), "nothing read yet");
        session.get(&link).await.expect("read");
        assert_eq!(availability(&session, &link).as_deref(), Some("Online"));
        assert!(session.cached_rel::<Presence>("presence").is_some());

        let mut events = session.events();
        // An update that embeds the resource: the cache has the new one.
        fake.push_events(answer(1, json!([{
            "link": {"rel": "presence", "href": presence},
            "_embedded": {"presence": {"availability": "Busy", "rel": "presence"}},
            "type": "updated"}])));
        until(&mut events, |item| matches!(item, ChannelItem::Event(_))).await;
        assert_eq!(availability(&session, &link).as_deref(), Some("Busy"));
        assert_eq!(fake.requests_to("GET", &presence).len(), 1, "no GET for it");

        // An added note, embedded: cached by href and by rel.
        fake.push_events(answer(2, json!([{
            "link": {"rel": "note", "href": note},
            "_embedded": {"note": {"message": "at lunch", "rel": "note"}},
            "type": "added"}])));
        until(&mut events, |item| matches!(item, ChannelItem::Event(_))).await;
        let cached: Note = session.cached_rel("note").expect("the note");
        assert_eq!(cached.message.as_deref(), Some("at lunch"));

        // An update without the resource: what the cache had is stale.
        fake.push_events(answer(3, json!([{
            "link": {"rel": "presence", "href": presence}, "type": "updated"}])));
        until(&mut events, |item| matches!(item, ChannelItem::Event(_))).await;
        assert!(session.cached(&link).is_none(), "dropped, not kept stale");

        // Deleted: gone.
        fake.push_events(answer(4, json!([{
            "link": {"rel": "note", "href": note}, "type": "deleted"}])));
        until(&mut events, |item| matches!(item, ChannelItem::Event(_))).await;
        assert!(session.cached_rel::<Note>("note").is_none());

        // A resync empties the cache: events were missed.
        fake.push_events(answer(5, json!([{
            "link": {"rel": "note", "href": note},
            "_embedded": {"note": {"message": "back", "rel": "note"}},
            "type": "added"}])));
        until(&mut events, |item| matches!(item, ChannelItem::Event(_))).await;
        assert!(session.cached_rel::<Note>("note").is_some());
        fake.push_events(json!({"_links": {"resync": {"href": events_href(6)}}}));
        until(&mut events, |item| matches!(item, ChannelItem::Resync)).await;
        assert!(session.cached_rel::<Note>("note").is_none(), "emptied by resync");
    })
    .await;
}

#[tokio::test]
async fn a_cache_of_zero_entries_keeps_nothing() {
    bounded(async {
        let fake = Fake::start().await;
        let presence = format!("{APP}/me/presence");
        fake.push(
            "GET",
            &presence,
            Reply::Json(200, json!({"availability": "Online", "rel": "presence"})),
        );
        let session = builder(&fake)
            .limits(ucwa_client::Limits {
                cache_entries: 0,
                ..ucwa_client::Limits::default()
            })
            .sign_in()
            .await
            .expect("signs in");
        let link = Link::<Presence>::new(presence);
        session.get(&link).await.expect("read");
        assert!(session.cached(&link).is_none());
    })
    .await;
}
