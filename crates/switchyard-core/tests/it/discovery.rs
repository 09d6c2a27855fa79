//! DNS discovery against a real DNS server on loopback (Debian's dnsmasq): every A
//! record of a name is an instance; SRV records give each instance's host and port;
//! records that change are seen on the next resolution; a name that does not exist and
//! a server that does not answer are errors that say which name and which server.

use std::time::Duration;

use switchyard_core::discovery::{resolve, DnsDiscovery, DnsQuery};
use switchyard_fleet::dns_on_loopback::{LoopbackDns, SrvRecord};

use crate::support::closed_port;

fn asking(dns: &LoopbackDns, query: &str) -> DnsDiscovery {
    DnsDiscovery {
        query: DnsQuery::parse(query).expect("a valid dns value"),
        resolver: Some(dns.address()),
        refresh: Duration::from_secs(30),
    }
}

async fn ids(discovery: &DnsDiscovery) -> Vec<String> {
    resolve(discovery)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|i| i.id)
        .collect()
}

#[tokio::test]
async fn a_records_srv_records_and_changes_are_read_from_a_real_server() {
    let srv = |target: &str, port| SrvRecord {
        name: "_http._tcp.payments.internal".into(),
        target: target.into(),
        port,
    };
    let mut dns = LoopbackDns::start(
        &[
            (
                "checkout.internal",
                &["127.0.0.1", "127.0.0.2", "127.0.0.3"][..],
            ),
            ("node-a.internal", &["127.0.0.4"][..]),
            ("node-b.internal", &["127.0.0.5"][..]),
        ],
        &[srv("node-a.internal", 8081), srv("node-b.internal", 8082)],
    )
    .await
    .expect("dnsmasq starts");

    let checkout = asking(&dns, "checkout.internal:8080");
    assert_eq!(
        ids(&checkout).await,
        ["127.0.0.1:8080", "127.0.0.2:8080", "127.0.0.3:8080"]
    );
    let payments = asking(&dns, "_http._tcp.payments.internal");
    let found = resolve(&payments).await.expect("srv");
    assert_eq!(
        found
            .iter()
            .map(|i| i.base_url.as_str())
            .collect::<Vec<_>>(),
        ["http://127.0.0.4:8081", "http://127.0.0.5:8082"]
    );

    // A replica goes away and another arrives: the next resolution sees it. dnsmasq
    // re-reads its hosts folder on its own, shortly after the write: ask until it has.
    dns.set_hosts(&[
        (
            "checkout.internal",
            &["127.0.0.2", "127.0.0.3", "127.0.0.9"][..],
        ),
        ("node-a.internal", &["127.0.0.4"][..]),
    ])
    .unwrap();
    let expected = ["127.0.0.2:8080", "127.0.0.3:8080", "127.0.0.9:8080"];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now = ids(&checkout).await;
        if now == expected {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still {now:?} after 10 s; dnsmasq said: {}",
            dns.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    dns.set_srv(&[srv("node-a.internal", 8081)]).await.unwrap();
    assert_eq!(ids(&payments).await, ["127.0.0.4:8081"]);

    // A name the zone does not have, and one whose SRV target is gone.
    let missing = resolve(&asking(&dns, "nothere.internal:8080"))
        .await
        .unwrap_err();
    assert_eq!(
        missing.message,
        format!("nothere.internal has no records at {}", dns.address())
    );
    dns.set_srv(&[srv("node-b.internal", 8082)]).await.unwrap();
    let gone = resolve(&payments).await.unwrap_err();
    assert!(
        gone.message.starts_with("node-b.internal has no records"),
        "{}",
        gone.message
    );
}

#[tokio::test]
async fn a_server_that_does_not_answer_is_named_within_the_deadline() {
    let discovery = DnsDiscovery {
        query: DnsQuery::parse("checkout.internal:8080").unwrap(),
        resolver: Some(format!("127.0.0.1:{}", closed_port()).parse().unwrap()),
        refresh: Duration::from_secs(30),
    };
    let started = std::time::Instant::now();
    let error = resolve(&discovery).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        error
            .message
            .starts_with("checkout.internal could not be resolved at 127.0.0.1:"),
        "{}",
        error.message
    );
}
