//! `sawt serve`: the election service. Every setting comes from the command line, else the
//! environment, else the configuration file (`--config`, `sawt_server::config`), else its
//! default.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use sawt_election::keys::PublicKeyHex;
use sawt_server::LogStore;
use sawt_server::clock::SystemClock;
use sawt_server::config::ServerConfig;
use sawt_server::service::Board;

use crate::board_cli::read_key;

/// Options of `sawt serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A configuration file (TOML; see `sawt_server::config`).
    #[arg(long, env = "SAWT_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL (`sqlite://…` or `postgres://…`); default `sqlite://./sawt-data/sawt.db`.
    #[arg(long, env = "DATABASE_URL")]
    database: Option<String>,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, env = "SAWT_LISTEN")]
    listen: Option<String>,
    /// The board operator's key: a file holding its 32-byte ed25519 seed in hexadecimal.
    #[arg(long, env = "SAWT_BOARD_KEY")]
    board_key: Option<PathBuf>,
    /// How often a new tree head is signed, in milliseconds (default 1000).
    #[arg(long)]
    head_interval_ms: Option<u64>,
    /// The registrar's key (hex seed file): serves the registry's API under /v1/registry.
    #[arg(long, env = "SAWT_REGISTRAR_KEY")]
    registrar_key: Option<PathBuf>,
    /// An identity provider's ed25519 public key (hex) whose assertions the registry accepts;
    /// repeat for several.
    #[arg(
        long = "identity-provider",
        env = "SAWT_IDENTITY_PROVIDERS",
        value_delimiter = ','
    )]
    identity_providers: Vec<String>,
    /// DEVELOPMENT ONLY: a key file for an identity provider that vouches for anyone who
    /// asks (`POST /v1/dev/identity`); its key is trusted too. Never in an election.
    #[arg(long)]
    dev_identity_provider_key: Option<PathBuf>,
    /// Days of the objection period after registration closes (default 5, the law's).
    #[arg(long)]
    objection_days: Option<u32>,
    /// An origin browsers may call the API from; repeat for several (default: none).
    #[arg(long = "cors-origin", env = "SAWT_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
}

/// The settings after merging the command line, the environment and the file.
struct Settings {
    file: ServerConfig,
    database: String,
    listen: String,
    board_key: PathBuf,
    head_interval_ms: u64,
}

fn resolve(args: &ServeArgs) -> anyhow::Result<Settings> {
    let mut file = match &args.config {
        Some(path) => ServerConfig::parse(
            &std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?,
        )
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        None => ServerConfig::default(),
    };
    let database = match args.database.clone().or(file.database.clone()) {
        Some(u) => u,
        None => sawt_server::default_database_url()?,
    };
    let board_key = args
        .board_key
        .clone()
        .or(file.board_key.clone())
        .context("the board operator's key is required: --board-key FILE (or board_key in the configuration)")?;
    if args.registrar_key.is_some() {
        file.registrar_key = args.registrar_key.clone();
    }
    if !args.identity_providers.is_empty() {
        file.identity_providers = args.identity_providers.clone();
    }
    if args.dev_identity_provider_key.is_some() {
        file.dev_identity_provider_key = args.dev_identity_provider_key.clone();
    }
    if args.objection_days.is_some() {
        file.objection_days = args.objection_days;
    }
    if !args.cors_origins.is_empty() {
        file.cors_origins = args.cors_origins.clone();
    }
    Ok(Settings {
        listen: args
            .listen
            .clone()
            .or(file.listen.clone())
            .unwrap_or_else(|| "127.0.0.1:8080".into()),
        head_interval_ms: args
            .head_interval_ms
            .or(file.head_interval_ms)
            .unwrap_or(1000),
        database,
        board_key,
        file,
    })
}

/// `sawt serve`.
pub fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let settings = resolve(args)?;
    // Structured logs: one JSON object per line on stderr, filtered by RUST_LOG (default
    // `info`). No personal data is ever logged (routes are logged by pattern).
    let _ = tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?
        .block_on(async {
            let store = LogStore::open(&settings.database)
                .await
                .with_context(|| format!("opening {}", settings.database))?;
            let key = read_key(&settings.board_key)?;
            let board = Arc::new(Board::open(store, key, Arc::new(SystemClock)).await?);
            let publisher = board.clone();
            let interval = Duration::from_millis(settings.head_interval_ms.max(10));
            tokio::spawn(async move {
                loop {
                    if let Err(e) = publisher.publish_head().await {
                        tracing::error!(error = %e, "signing a tree head failed");
                    }
                    tokio::time::sleep(interval).await;
                }
            });
            let registry = registry_api(&settings.file, board.clone()).await?;
            let app = sawt_server::app::app(sawt_server::app::Parts {
                board: board.clone(),
                registry,
                limits: settings.file.limits,
                cors_origins: settings.file.cors_origins.clone(),
                officials: settings.file.officials.clone(),
            })
            .map_err(anyhow::Error::msg)?;
            let listener = tokio::net::TcpListener::bind(&settings.listen)
                .await
                .with_context(|| format!("listening on {}", settings.listen))?;
            eprintln!(
                "sawt: serving the board of election {} on http://{}",
                hex::encode(board.election()),
                listener.local_addr()?
            );
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .context("serving")?;
            Ok(())
        })
}

/// The registry's API, when a registrar key is configured.
async fn registry_api(
    file: &ServerConfig,
    board: Arc<Board>,
) -> anyhow::Result<Option<sawt_server::registry_api::RegistryApi>> {
    let Some(registrar) = &file.registrar_key else {
        if file.dev_identity_provider_key.is_some() || !file.identity_providers.is_empty() {
            anyhow::bail!("identity providers are for the registry: give --registrar-key too");
        }
        return Ok(None);
    };
    let mut providers = file
        .identity_providers
        .iter()
        .map(|h| {
            PublicKeyHex::try_from(h.trim().to_owned())
                .map_err(|e| anyhow::anyhow!("--identity-provider {h}: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let dev = match &file.dev_identity_provider_key {
        Some(path) => {
            let idp = sawt_registry::identity::IdentityProvider::new(read_key(path)?);
            eprintln!(
                "sawt: WARNING: DEVELOPMENT IDENTITY PROVIDER {} ENABLED: it vouches for anyone \
                 (POST /v1/dev/identity). Never use it in an election.",
                hex::encode(idp.public().bytes())
            );
            tracing::warn!("development identity provider enabled");
            providers.push(idp.public());
            Some(Arc::new(idp))
        }
        None => None,
    };
    if providers.is_empty() {
        anyhow::bail!(
            "the registry needs --identity-provider (or, in development, --dev-identity-provider-key)"
        );
    }
    let settings = sawt_registry::calendar::Settings {
        objection_days: file.objection_days.unwrap_or(5),
        ..Default::default()
    };
    let registry =
        sawt_server::registry::Registry::open(board, read_key(registrar)?, providers, settings)
            .await
            .context("opening the registry")?;
    Ok(Some(sawt_server::registry_api::RegistryApi {
        registry: Arc::new(registry),
        dev_identity: dev,
    }))
}
