//! The real binary: configuration errors, OTLP export of request spans with `tenant.id`, and a
//! clean exit on SIGTERM.

use std::{
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use poem::{
    EndpointExt, Route, handler,
    listener::{Acceptor, Listener, TcpListener},
    post,
    web::Data,
};

use crate::helpers::{TestApp, admin_url, api_url, eventually};

const BIN: &str = env!("CARGO_BIN_EXE_brandhouse");

#[test]
fn a_bad_configuration_value_stops_the_process_naming_the_variable() {
    for (var, value) in [
        ("DB_POOL_SIZE", "many"),
        ("BIND_ADDR", "everywhere"),
        ("DATABASE_URL", "postgres://127.0.0.1/no-user"),
    ] {
        let out = Command::new(BIN)
            .arg("serve")
            .env(var, value)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(var), "{var}: {stderr}");
    }
}

#[handler]
async fn collect(body: Vec<u8>, Data(store): Data<&Arc<Mutex<Vec<Vec<u8>>>>>) -> &'static str {
    store.lock().unwrap().push(body);
    ""
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_spans_are_exported_over_otlp_with_the_tenant_and_sigterm_stops_cleanly() {
    // The brand and database, prepared through the harness.
    let app = TestApp::spawn().await;
    let brand = app.create_brand("fiber-x", "FBX").await;
    let dbname = app.db.name.clone();

    // A real OTLP/HTTP endpoint on loopback that keeps what it receives.
    let store: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let collector_port = acceptor.local_addr()[0].as_socket_addr().unwrap().port();
    let routes = Route::new()
        .at("/v1/traces", post(collect))
        .data(store.clone());
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(routes));

    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("DATABASE_URL", api_url(&dbname))
        .env("MIGRATION_DATABASE_URL", admin_url(&dbname))
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        // Its own data directory: the in-process app above holds the test's product index open.
        .env(
            "DATA_DIR",
            crate::helpers::test_data_dir(&dbname).join("serve"),
        )
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{collector_port}"),
        )
        .env("LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let base = format!("http://127.0.0.1:{port}");
    eventually(
        "the binary to answer /healthz",
        Duration::from_secs(10),
        || async { app.client.get(format!("{base}/healthz")).send().await.ok() },
    )
    .await;
    let resp = app
        .client
        .get(format!("{base}/v1/storefront/theme"))
        .header("X-Tenant-ID", "fiber-x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || {
        let status = child.wait().unwrap();
        let mut stderr = String::new();
        use std::io::Read;
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        (status, stderr)
    })
    .await
    .unwrap();
    assert!(
        status.0.success(),
        "exit after SIGTERM: {:?}\n{}",
        status.0,
        status.1
    );
    // JSON logs, one object per line, and no connection secrets in them.
    for line in status.1.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "{line}"
        );
    }

    let exported: Vec<u8> = store.lock().unwrap().concat();
    let has = |needle: &str| {
        exported
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    };
    assert!(!exported.is_empty(), "no spans were exported");
    for needle in [
        "tenant.id",
        brand.id.to_string().as_str(),
        "http.route",
        "/v1/storefront/theme",
        "http.response.status_code",
        "db.system.name",
        "postgresql",
    ] {
        assert!(has(needle), "exported spans lack {needle}");
    }
}

#[tokio::test]
async fn the_cli_bootstraps_the_first_owner_who_can_then_sign_in() {
    let app = TestApp::spawn().await;
    let dbname = app.db.name.clone();
    let run = |password: &'static str| {
        let dbname = dbname.clone();
        std::thread::spawn(move || {
            Command::new(BIN)
                .args([
                    "staff",
                    "create-owner",
                    "--email",
                    "Boss@Example.com",
                    "--name",
                    "The Boss",
                ])
                .env("DATABASE_URL", api_url(&dbname))
                .env("MIGRATION_DATABASE_URL", admin_url(&dbname))
                .env("BRANDHOUSE_OWNER_PASSWORD", password)
                .output()
                .unwrap()
        })
        .join()
        .unwrap()
    };
    let weak = run("short");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password"));

    let out = run("a perfectly long owner password");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let resp = app
        .login("boss@example.com", "a perfectly long owner password")
        .await;
    assert_eq!(resp.status(), 200);
    let token = resp.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me: serde_json::Value = app
        .client
        .get(app.url("/v1/auth/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["is_owner"], true);

    // A second run for the same email changes nothing.
    let again = run("a perfectly long owner password");
    assert!(!again.status.success());
}
