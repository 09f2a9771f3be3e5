//! Outbound requests are checked by the address they connect to, not only by the name the
//! manifest allows: a plugin allowed to reach `localhost:PORT` or `127.0.0.1:PORT` is refused
//! (loopback), unless the runtime's allowed networks include loopback. Only loopback is used here:
//! the classification of other ranges is unit-tested without connecting.

mod support;

use smartreach_plugin_runtime::{
    Invocation, Network, OutboundDecision, Outcome, Plugin, RuntimeConfig,
};
use support::capture::CaptureServer;

/// Loads the hostile plugin in `fetch` mode, allowed to reach `host` and fetching `url`, into a
/// runtime with `allowed_networks`.
async fn fetcher(
    host: &str,
    url: &str,
    allowed_networks: Vec<Network>,
) -> (support::PluginDir, Plugin) {
    let manifest =
        format!("allowed_outbound_hosts = [{host:?}]\n[config]\nmode = \"fetch\"\nurl = {url:?}\n");
    let dir = support::PluginDir::new();
    let wasm = dir.add("fetcher", "hostile", Some(&manifest));
    let runtime = support::runtime_with(RuntimeConfig {
        allowed_networks,
        ..RuntimeConfig::default()
    });
    let (plugin, _) = runtime.load_file(&wasm).await.unwrap();
    (dir, plugin)
}

fn report(invocation: &Invocation) -> &str {
    match &invocation.outcome {
        Outcome::Skipped { reason } => reason,
        other => panic!("expected the fetch report, got {other:?}"),
    }
}

#[tokio::test]
async fn loopback_allowed_by_name_is_refused_by_address_and_nothing_arrives() {
    let server = CaptureServer::start().await;
    let port = server.addr.port();
    for (host, url) in [
        (
            format!("127.0.0.1:{port}"),
            format!("http://127.0.0.1:{port}/a"),
        ),
        (
            format!("localhost:{port}"),
            format!("http://localhost:{port}/b"),
        ),
    ] {
        let (_dir, plugin) = fetcher(&host, &url, Vec::new()).await;
        let invocation = plugin.invoke(&support::any_event()).await;

        // The plugin sees a denial (`destination-IP-prohibited`), as for a host it may not reach.
        assert_eq!(report(&invocation), "fetch: denied", "{host}");
        let [request] = invocation.requests.as_slice() else {
            panic!("{:?}", invocation.requests)
        };
        assert_eq!(request.decision, OutboundDecision::AddressDenied, "{host}");
        let reason = request.reason.as_deref().unwrap_or_default();
        assert!(
            reason.contains("127.0.0.1 (loopback)") && reason.contains("outbound.allowed_networks"),
            "{reason}"
        );
        let serialized = serde_json::to_value(request).unwrap();
        assert_eq!(serialized["decision"], "address_denied");
        assert_eq!(serialized["reason"], reason);
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[tokio::test]
async fn loopback_in_the_allowed_networks_is_reached() {
    let server = CaptureServer::start().await;
    let port = server.addr.port();
    for (host, url) in [
        (
            format!("127.0.0.1:{port}"),
            format!("http://127.0.0.1:{port}/a"),
        ),
        (
            format!("localhost:{port}"),
            format!("http://localhost:{port}/b"),
        ),
    ] {
        let (_dir, plugin) = fetcher(&host, &url, Network::LOOPBACK.to_vec()).await;
        let invocation = plugin.invoke(&support::any_event()).await;
        assert_eq!(report(&invocation), "fetch: status 200, 2 bytes", "{host}");
        assert_eq!(invocation.requests[0].decision, OutboundDecision::Sent);
        assert_eq!(invocation.requests[0].reason, None);
        let serialized = serde_json::to_value(&invocation.requests[0]).unwrap();
        assert!(serialized.get("reason").is_none(), "{serialized}");
    }
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/a", "/b"]);
}

#[tokio::test]
async fn an_allowed_network_that_does_not_cover_the_address_lets_nothing_through() {
    let server = CaptureServer::start().await;
    let port = server.addr.port();
    let elsewhere = vec!["127.0.0.2/32".parse().unwrap(), "::1".parse().unwrap()];
    let (_dir, plugin) = fetcher(
        &format!("127.0.0.1:{port}"),
        &format!("http://127.0.0.1:{port}/"),
        elsewhere,
    )
    .await;
    let invocation = plugin.invoke(&support::any_event()).await;
    assert_eq!(report(&invocation), "fetch: denied");
    assert_eq!(
        invocation.requests[0].decision,
        OutboundDecision::AddressDenied
    );
    assert!(server.requests().is_empty());
}

/// A request that gets no response is recorded `failed` with the reason, not `sent`: here the
/// address is allowed but nothing listens on it (a socket bound without listening, so no one else
/// can take the port meanwhile), and the name of the second one does not resolve.
#[tokio::test]
async fn a_request_without_a_response_is_recorded_failed_with_the_reason() {
    let unheard = tokio::net::TcpSocket::new_v4().unwrap();
    unheard.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = unheard.local_addr().unwrap().port();
    for (host, url, why) in [
        (
            format!("127.0.0.1:{port}"),
            format!("http://127.0.0.1:{port}/"),
            "connection error",
        ),
        (
            "no-such-host.invalid".to_owned(),
            "https://no-such-host.invalid/".to_owned(),
            "DNS error",
        ),
    ] {
        let (_dir, plugin) = fetcher(&host, &url, Network::LOOPBACK.to_vec()).await;
        let invocation = plugin.invoke(&support::any_event()).await;
        assert!(
            report(&invocation).starts_with("fetch: error"),
            "{host}: {}",
            report(&invocation)
        );
        let [request] = invocation.requests.as_slice() else {
            panic!("{:?}", invocation.requests)
        };
        assert_eq!(request.decision, OutboundDecision::Failed, "{host}");
        let reason = request.reason.as_deref().unwrap_or_default();
        assert!(reason.contains(why), "{host}: {reason}");
        let serialized = serde_json::to_value(request).unwrap();
        assert_eq!(serialized["decision"], "failed");
    }
}
