//! Bounds: loopback addresses only, request body size, slow bodies; and the
//! `ucwa-mock serve` command line.

mod common;

use common::{client, config, fixture};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use ucwa_mock::{Error, MockConfig, MockServer, Transcript};

fn transcript() -> Transcript {
    Transcript::read([fixture("presence_events.md")]).unwrap()
}

#[tokio::test]
async fn only_loopback_addresses_are_accepted() {
    for listen in ["0.0.0.0:0", "192.0.2.1:8080", "[::]:0"] {
        let listen: SocketAddr = listen.parse().unwrap();
        let error = MockServer::start(transcript(), MockConfig { listen, ..config() })
            .await
            .err();
        assert!(
            matches!(error, Some(Error::NotLoopback(addr)) if addr == listen),
            "{listen}: {error:?}"
        );
    }
    let mock = MockServer::start(transcript(), config()).await.unwrap();
    assert!(mock
        .hosts()
        .iter()
        .all(|host| host.local.ip().is_loopback()));
    mock.shutdown().await;
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413() {
    let mock = MockServer::start(
        transcript(),
        MockConfig {
            body_limit: 1024,
            ..config()
        },
    )
    .await
    .unwrap();
    let url = format!(
        "{}/ucwa/v1/applications/1/me/makeMeAvailable",
        mock.hosts()[0].base_url
    );
    let answer = client()
        .post(url)
        .header("Content-Type", "application/json")
        .body(vec![b' '; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 413);
    let body: serde_json::Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(body["code"], "EntityTooLarge");
    mock.shutdown().await;
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_408_in_bounded_time() {
    let read_timeout = Duration::from_millis(300);
    let mock = MockServer::start(
        transcript(),
        MockConfig {
            read_timeout,
            ..config()
        },
    )
    .await
    .unwrap();
    let mut stream = tokio::net::TcpStream::connect(mock.hosts()[0].local)
        .await
        .unwrap();
    let head = "POST /ucwa/v1/applications/1/me/makeMeAvailable HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(3), stream.read(&mut answer))
        .await
        .expect("answered in time")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    mock.shutdown().await;
}

fn mock_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ucwa-mock"));
    command.env("RUST_LOG", "warn").stdin(Stdio::null());
    command
}

#[test]
fn serve_refuses_a_non_loopback_listen_address() {
    let output = mock_command()
        .args(["serve", "--listen", "0.0.0.0:8080"])
        .arg(fixture("presence_events.md"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("0.0.0.0:8080 is not a loopback address"),
        "{stderr}"
    );
}

/// Starts `ucwa-mock serve ARGS…` and reads its start-up lines, up to `serving`.
fn serve(args: &[&std::ffi::OsStr]) -> (std::process::Child, Vec<String>) {
    let mut child = mock_command()
        .arg("serve")
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines_in, lines_out) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .take(1000)
        {
            let serving = line.starts_with("serving");
            if lines_in.send(line).is_err() || serving {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    while let Ok(line) = lines_out.recv_timeout(Duration::from_secs(30)) {
        let serving = line.starts_with("serving");
        lines.push(line);
        if serving {
            break;
        }
    }
    (child, lines)
}

#[test]
fn serve_lists_the_repairs_and_hosts_at_start_up_then_serves() {
    let page = fixture("sign_in_and_im.md");
    let (mut child, lines) = serve(&[page.as_os_str()]);
    let pool = lines
        .iter()
        .find_map(|line| line.strip_prefix("host: pool.example.com -> "))
        .map(str::to_string);
    let answered = pool.map(|base| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let answer = client().get(format!("{base}/")).send().await.unwrap();
            answer.status().as_u16()
        })
    });
    // Ends the child this test started, by its handle.
    child.kill().unwrap();
    child.wait().unwrap();
    let text = lines.join("\n");
    assert!(
        text.contains("sign_in_and_im.md: 10 steps (2 on the event channel)"),
        "{text}"
    );
    assert!(
        text.contains(
            "sign_in_and_im.md:127: missing-quote: closed the string \"Connected\" at the line end"
        ),
        "{text}"
    );
    assert!(
        text.contains("sign_in_and_im.md:71: trailing-comma"),
        "{text}"
    );
    assert!(
        text.contains("no response: ") && text.contains("sign_in_and_im.md:176"),
        "{text}"
    );
    assert!(
        text.contains("host: lyncdiscover.example.com -> http://127.0.0.1:"),
        "{text}"
    );
    // The discovery request belongs to the other host: the pool answers with a mismatch.
    assert_eq!(answered, Some(400), "{text}");
}

#[test]
fn serve_in_session_mode_lists_the_steps_and_the_id_aliases() {
    let Some(dir) = common::shared_tasks() else {
        return;
    };
    let (create, send_im) = (dir.join("CreateAnApplication.md"), dir.join("SendAnIM.md"));
    let (mut child, lines) = serve(&[
        create.as_os_str(),
        send_im.as_os_str(),
        std::ffi::OsStr::new("--sessions"),
    ]);
    // Ends the child this test started, by its handle.
    child.kill().unwrap();
    child.wait().unwrap();
    let text = lines.join("\n");
    for expected in [
        "CreateAnApplication.md:227: POST /ucwa/oauth/v1/applications: 201",
        "SendAnIM.md:65: GET /ucwa/oauth/v1/applications/102/events?ack=2 (event channel): 200",
        "ids: a path segment after one of these is a generated id: applications, conversations,",
        "id: applications/{id}: 102 (",
        "SendAnIM.md:22) is served and accepted as 105 (",
        "id: applications/*/communication/messagingInvitations/{id}: 60c (",
        "mode: sessions",
        "serving",
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
}

#[tokio::test]
async fn every_duration_and_size_setting_is_checked_before_serving() {
    // Issue 21: `--hold-timeout 18446744073709551615` made every pending GET
    // panic (`overflow when adding duration to instant`).
    let settings = [
        MockConfig {
            hold_timeout: Duration::MAX,
            ..config()
        },
        MockConfig {
            hold_timeout: Duration::ZERO,
            ..config()
        },
        MockConfig {
            read_timeout: Duration::from_secs(u64::MAX),
            ..config()
        },
        MockConfig {
            body_limit: 0,
            ..config()
        },
        MockConfig {
            max_connections: 0,
            ..config()
        },
    ];
    for setting in settings {
        let error = MockServer::start(transcript(), setting.clone()).await.err();
        assert!(
            matches!(error, Some(Error::Config(_))),
            "{setting:?}: {error:?}"
        );
    }
    assert!(MockServer::start(transcript(), config()).await.is_ok());
}

#[test]
fn serve_refuses_out_of_range_settings_as_a_usage_error() {
    for args in [
        ["--hold-timeout", "18446744073709551615"],
        ["--hold-timeout", "0"],
        ["--body-limit", "0"],
    ] {
        let output = mock_command()
            .arg("serve")
            .args(args)
            .arg(fixture("presence_events.md"))
            .stdin(Stdio::null())
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(args[0]), "{args:?}: {stderr}");
    }
}

/// A device or a FIFO has no size to check: the page cap counts bytes read.
#[cfg(unix)]
#[test]
fn a_page_that_never_ends_is_refused_at_the_cap() {
    let endless = std::path::Path::new("/dev/zero");
    if !endless.exists() {
        println!("skipped: no /dev/zero on this machine");
        return;
    }
    let error = ucwa_mock::Page::read(endless).err();
    assert!(
        matches!(&error, Some(Error::PageTooLarge { size, .. }) if *size == ucwa_mock::transcript::MAX_PAGE_BYTES + 1),
        "{error:?}"
    );
}

/// Opens `count` sockets to the mock that send nothing.
async fn silent_sockets(mock: &MockServer, count: usize) -> Vec<tokio::net::TcpStream> {
    let address = mock.hosts()[0]
        .base_url
        .trim_start_matches("http://")
        .to_string();
    let mut sockets = Vec::new();
    for _ in 0..count {
        sockets.push(
            tokio::net::TcpStream::connect(&address)
                .await
                .expect("connects"),
        );
    }
    sockets
}

#[tokio::test]
async fn idle_sockets_of_one_process_do_not_lock_other_clients_out() {
    // Issue 21: 600 idle sockets from one local process took all 512
    // permits, and every other client waited for them to time out (13 s).
    let config = MockConfig {
        max_connections: 4,
        read_timeout: Duration::from_secs(30),
        ..config()
    };
    let mock = MockServer::start(transcript(), config).await.unwrap();
    let _idle = silent_sockets(&mock, 4).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let url = format!("{}/nothing/here", mock.hosts()[0].base_url);
    let answer = tokio::time::timeout(Duration::from_secs(5), client().get(url).send())
        .await
        .expect("served long before the idle sockets' 30 s timeout")
        .expect("an answer");
    assert!(answer.status().is_client_error(), "{}", answer.status());
}

#[tokio::test]
async fn one_peer_past_its_limit_loses_its_own_longest_idle_connection() {
    let config = MockConfig {
        max_connections: 16,
        max_connections_per_peer: 2,
        read_timeout: Duration::from_secs(30),
        ..config()
    };
    let mock = MockServer::start(transcript(), config).await.unwrap();
    let mut sockets = silent_sockets(&mock, 1).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    sockets.extend(silent_sockets(&mock, 2).await);
    // The first (idle the longest) is closed for the third.
    let mut buffer = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), sockets[0].read(&mut buffer))
        .await
        .expect("closed well before the 30 s read timeout");
    assert!(matches!(read, Ok(0)), "{read:?}");
    // The others are still open: nothing arrives on them.
    let still =
        tokio::time::timeout(Duration::from_millis(300), sockets[2].read(&mut buffer)).await;
    assert!(
        still.is_err(),
        "the newest connection was closed: {still:?}"
    );
}
