//! Every service answers gRPC health and both reflection versions, so standard tools
//! (grpcurl, grpc_health_probe, Kubernetes gRPC probes) work against it; reflection
//! advertises exactly the services a server serves.

use shop::{Settings, start};
use shop_platform::Shutdown;
use tonic::transport::Channel;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
use tonic_reflection::pb::{v1, v1alpha};

async fn list_v1(channel: Channel) -> Vec<String> {
    let mut client = v1::server_reflection_client::ServerReflectionClient::new(channel);
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(String::new())),
    };
    let mut replies = client.server_reflection_info(tokio_stream::iter([request])).await.unwrap().into_inner();
    match replies.message().await.unwrap().and_then(|r| r.message_response) {
        Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) => {
            list.service.into_iter().map(|s| s.name).collect()
        }
        other => panic!("unexpected reflection reply {other:?}"),
    }
}

async fn list_v1alpha(channel: Channel) -> Vec<String> {
    let mut client = v1alpha::server_reflection_client::ServerReflectionClient::new(channel);
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1alpha::server_reflection_request::MessageRequest::ListServices(String::new())),
    };
    let mut replies = client.server_reflection_info(tokio_stream::iter([request])).await.unwrap().into_inner();
    match replies.message().await.unwrap().and_then(|r| r.message_response) {
        Some(v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) => {
            list.service.into_iter().map(|s| s.name).collect()
        }
        other => panic!("unexpected reflection reply {other:?}"),
    }
}

#[tokio::test]
async fn every_service_reports_health_and_lists_its_contracts_by_reflection() {
    let shutdown = Shutdown::new();
    let platform = start(&Settings::ephemeral(), shutdown.clone()).await.unwrap();
    for (name, addr) in &platform.services {
        let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
        let health =
            HealthClient::new(channel.clone()).check(HealthCheckRequest { service: String::new() }).await.unwrap();
        assert_eq!(health.get_ref().status, ServingStatus::Serving as i32, "{name}");
        for services in [list_v1(channel.clone()).await, list_v1alpha(channel).await] {
            assert!(services.iter().any(|s| s == "grpc.health.v1.Health"), "{name}: {services:?}");
            assert!(services.iter().any(|s| s == "grpc.reflection.v1.ServerReflection"), "{name}: {services:?}");
            // Only what the server serves is advertised.
            let catalog_listed = services.iter().any(|s| s == "shop.catalog.v1.CatalogService");
            assert_eq!(catalog_listed, *name == "catalog", "{name}: {services:?}");
        }
    }
    let catalog = platform.services.iter().find(|(n, _)| *n == "catalog").unwrap().1;
    let channel = Channel::from_shared(format!("http://{catalog}")).unwrap().connect().await.unwrap();
    let status = HealthClient::new(channel)
        .check(HealthCheckRequest { service: "shop.catalog.v1.CatalogService".into() })
        .await
        .unwrap();
    assert_eq!(status.get_ref().status, ServingStatus::Serving as i32);
    shutdown.trigger();
    platform.stopped().await.unwrap();
}
