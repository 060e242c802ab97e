//! TLS to PostgreSQL: `sslmode=require/verify-ca/verify-full` in the connection URLs, against a
//! private server with a certificate from a throwaway CA made by the test (openssl CLI). The
//! server's certificate names `localhost` only, so `verify-full` must refuse `127.0.0.1` and
//! `verify-ca` accept it.

use std::{path::Path, process::Command};

use brandhouse::{config::DbTarget, scope::Actor};

use crate::{private_pg::PrivatePg, resilience::serve_on};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the openssl command");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a server certificate for `localhost` signed by it, plus an unrelated CA.
fn certificates(dir: &Path) {
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    for ca in ["ca", "other-ca"] {
        let mut args = vec!["req", "-x509", "-days", "2", "-subj"];
        let subject = format!("/CN=brandhouse test {ca}");
        args.push(&subject);
        args.extend(key);
        let (keyout, out) = (format!("{ca}.key"), format!("{ca}.crt"));
        args.extend(["-keyout", &keyout, "-out", &out]);
        openssl(dir, &args);
    }
    let mut args = vec!["req", "-subj", "/CN=localhost"];
    args.extend(key);
    args.extend(["-keyout", "server.key", "-out", "server.csr"]);
    openssl(dir, &args);
    std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.crt",
        ],
    );
}

async fn uses_tls(url: &str) -> Result<bool, String> {
    let target = DbTarget::parse("DATABASE_URL", url).map_err(|e| e.to_string())?;
    let client = brandhouse::db::connect_once(&target)
        .await
        .map_err(|e| format!("{e:#}"))?;
    let row = client
        .query_one(
            "select ssl from pg_stat_ssl where pid = pg_backend_pid()",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.get(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_use_tls_as_sslmode_says_and_verify_full_checks_the_ca_and_the_host() {
    let certs = tempfile::tempdir().unwrap();
    let dir = certs.path().to_owned();
    let pg = tokio::task::spawn_blocking(move || {
        certificates(&dir);
        let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
        PrivatePg::start(
            &[
                "ssl = on".to_owned(),
                "ssl_cert_file = 'server.crt'".to_owned(),
                "ssl_key_file = 'server.key'".to_owned(),
            ],
            &[
                ("server.crt", read("server.crt").as_slice()),
                ("server.key", read("server.key").as_slice()),
            ],
        )
    })
    .await
    .unwrap();
    let ca = certs.path().join("ca.crt").display().to_string();
    let other = certs.path().join("other-ca.crt").display().to_string();
    let url =
        |host: &str, query: &str| format!("postgres://postgres@{host}:{}/postgres{query}", pg.port);

    assert_eq!(
        uses_tls(&url("127.0.0.1", "")).await,
        Ok(false),
        "no sslmode: plain"
    );
    assert_eq!(
        uses_tls(&url("127.0.0.1", "?sslmode=require")).await,
        Ok(true)
    );
    assert_eq!(
        uses_tls(&url(
            "localhost",
            &format!("?sslmode=verify-full&sslrootcert={ca}")
        ))
        .await,
        Ok(true)
    );
    assert_eq!(
        uses_tls(&url(
            "127.0.0.1",
            &format!("?sslmode=verify-ca&sslrootcert={ca}")
        ))
        .await,
        Ok(true),
        "verify-ca does not check the host"
    );
    let wrong_host = uses_tls(&url(
        "127.0.0.1",
        &format!("?sslmode=verify-full&sslrootcert={ca}"),
    ))
    .await;
    assert!(
        wrong_host
            .as_ref()
            .is_err_and(|e| e.contains("certificate")),
        "{wrong_host:?}"
    );
    let wrong_ca = uses_tls(&url(
        "localhost",
        &format!("?sslmode=verify-full&sslrootcert={other}"),
    ))
    .await;
    assert!(
        wrong_ca.as_ref().is_err_and(|e| e.contains("certificate")),
        "{wrong_ca:?}"
    );

    // The whole service over verify-full: migrations, the pool, a request.
    let tls = format!("?sslmode=verify-full&sslrootcert={ca}");
    let (api, analytics, migration) = (
        url("localhost", &tls)
            .replace("postgres@", "brandhouse_api@")
            .replace("/postgres?", "/brandhouse?"),
        url("localhost", &tls)
            .replace("postgres@", "brandhouse_analytics@")
            .replace("/postgres?", "/brandhouse?"),
        url("localhost", &tls).replace("/postgres?", "/brandhouse?"),
    );
    let (base, app) = serve_on(
        &pg,
        &[
            ("DATABASE_URL", &api),
            ("ANALYTICS_DATABASE_URL", &analytics),
            ("MIGRATION_DATABASE_URL", &migration),
        ],
    )
    .await;
    let encrypted: bool = app
        .state()
        .db
        .global_tx(&Actor::System, async |tx| {
            Ok::<bool, brandhouse::db::DbError>(
                tx.query_one(
                    "select ssl from pg_stat_ssl where pid = pg_backend_pid()",
                    &[],
                )
                .await?
                .get(0),
            )
        })
        .await
        .unwrap();
    assert!(encrypted);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let resp = reqwest::Client::new()
        .get(format!("{base}/v1/storefront/theme"))
        .header("X-Tenant-ID", "fiber-x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
