'use strict';
// SUBSTITUTE for actions/cache/save@v4 (scripts/act-rerun.sh only): the same
// library call as the real action's save-only entry point, @actions/cache's
// saveCache. Like the real action it does not fail the step when the key is
// taken or the server refuses; @actions/cache logs why.
const core = require('@actions/core');
const cache = require('@actions/cache');

// act host mode gives every job a new RUNNER_TEMP (ACTION_CACHE_PATH/RANDOM/tmp),
// and @actions/cache hashes the path strings into the entry's version, so a
// path under RUNNER_TEMP would never match the previous run's entry; on GitHub
// RUNNER_TEMP is the same directory for every job of a runner, and it does. To
// stand in for that, paths that all lie under RUNNER_TEMP are passed relative
// to it, with RUNNER_TEMP as the working directory @actions/cache archives from
// (GITHUB_WORKSPACE): the same files, under a version that is the same every run.
function stableTemp(paths) {
  const temp = (process.env.RUNNER_TEMP || '').replace(/\/+$/, '');
  if (!temp || !paths.every((p) => p.startsWith(temp + '/'))) {
    return paths;
  }
  process.chdir(temp);
  process.env.GITHUB_WORKSPACE = temp;
  const rel = paths.map((p) => p.slice(temp.length + 1));
  core.info(`act substitute: ${rel.join(', ')} relative to RUNNER_TEMP (see scripts/act-rerun.sh)`);
  return rel;
}

async function run() {
  const key = core.getInput('key', { required: true });
  const paths = stableTemp(core.getMultilineInput('path', { required: true }));
  const chunk = core.getInput('upload-chunk-size');
  const crossOs = core.getBooleanInput('enableCrossOsArchive');
  const id = await cache.saveCache(paths, key, { uploadChunkSize: chunk ? Number(chunk) : undefined }, crossOs);
  if (id !== -1) {
    core.info(`Cache saved with key: ${key}`);
  }
}

run().catch((err) => core.warning(err.message));
