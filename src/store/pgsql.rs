//! PLACEHOLDER: replaced by the real backend.
use super::backend::*;
use super::error::{Error, Result};
use super::settings::Config;
pub struct PgsqlConnection(std::convert::Infallible);
impl PgsqlConnection {
    pub fn connect(_config: &Config) -> Result<Self> { Err(Error::Database { backend: "pgsql", message: "not built yet".into() }) }
}
impl SqlConnection for PgsqlConnection {
    fn kind(&self) -> &'static str { match self.0 {} }
    fn create_tables(&mut self) -> Result<()> { match self.0 {} }
    fn begin(&mut self) -> Result<()> { match self.0 {} }
    fn commit(&mut self) -> Result<()> { match self.0 {} }
    fn rollback(&mut self) -> Result<()> { match self.0 {} }
    fn upsert_meta(&mut self, _: &str, _: &NewFile, _: u64) -> Result<()> { match self.0 {} }
    fn set_size(&mut self, _: &str, _: u64) -> Result<()> { match self.0 {} }
    fn delete_chunks(&mut self, _: &str) -> Result<()> { match self.0 {} }
    fn insert_chunk(&mut self, _: &str, _: u64, _: &[u8]) -> Result<()> { match self.0 {} }
    fn select_meta(&mut self, _: &str) -> Result<Option<FileMeta>> { match self.0 {} }
    fn select_joined(&mut self, _: &str, _: &mut dyn FnMut(JoinedRow) -> Result<()>) -> Result<()> { match self.0 {} }
    fn soft_delete(&mut self, _: &str) -> Result<u64> { match self.0 {} }
    fn select_live_names(&mut self, _: &mut dyn FnMut(String, String)) -> Result<()> { match self.0 {} }
}
