//! The probe the window's "watch your own services" and `switchyard-cli probe` share,
//! against a real fleet service and a closed port: the profile detected and what was
//! read, or the reachability kind and its message.

use switchyard_core::model::Reachability;
use switchyard_core::sources::probe::{self, ProbeRequest, DEFAULT_PROBE_TIMEOUT};
use switchyard_fleet::{Fleet, FleetSpec, Profile, ServiceSpec};

fn request(url: &str) -> ProbeRequest {
    ProbeRequest {
        base_url: url.to_string(),
        profile: None,
        headers: Vec::new(),
    }
}

#[tokio::test]
async fn a_pasted_url_is_detected_and_read() {
    let fleet = Fleet::start(FleetSpec {
        services: vec![ServiceSpec::quiet(Profile::BreakerRegistry, "registry")],
    })
    .await
    .expect("fleet starts");
    let url = format!("{}/", fleet.services()[0].base_url);
    let service = probe::service_to_probe(&request(&url), DEFAULT_PROBE_TIMEOUT).unwrap();
    let report = probe::probe(service).await;

    assert!(report.detected);
    assert_eq!(report.observation.profile, "breaker-registry");
    assert!(
        report.observation.is_reachable(),
        "{:?}",
        report.observation.reachability
    );
    assert!(!report.observation.breakers.is_empty());
    assert!(!report.observation.samples.is_empty());
    assert_eq!(
        report.suggested_name,
        url.trim_start_matches("http://").trim_end_matches('/')
    );
    fleet.shutdown().await;
}

#[tokio::test]
async fn a_closed_port_says_refused_and_where() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let service = probe::service_to_probe(&request(&url), DEFAULT_PROBE_TIMEOUT).unwrap();
    let report = probe::probe(service).await;
    let Reachability::Refused { message } = &report.observation.reachability else {
        panic!("{:?}", report.observation.reachability)
    };
    assert!(
        message.contains("refused") && message.contains("127.0.0.1"),
        "{message}"
    );
    assert_eq!(report.observation.profile, "unknown");
}
