//! PLACEHOLDER: `dropflow bench ingest`.
#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    #[arg(long, default_value_t = 10000)]
    pub orders: usize,
}
pub async fn ingest(_args: IngestArgs) -> anyhow::Result<()> {
    anyhow::bail!("not written yet")
}
