//! The smallest actix-web JSON route, as the yardstick `scripts/bench catalog` measures the
//! gateway's product reads against (same framework, same workers, same machine).

use actix_web::{App, HttpResponse, HttpServer, web};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(8081);
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    HttpServer::new(|| {
        App::new()
            .route("/hello", web::get().to(|| async { HttpResponse::Ok().json(serde_json::json!({"hello": "world"})) }))
    })
    .workers(workers)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
