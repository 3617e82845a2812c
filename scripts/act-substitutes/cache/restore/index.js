'use strict';
// SUBSTITUTE for actions/cache/restore@v4 (scripts/act-rerun.sh only): the same
// library call as the real action's restore-only entry point, @actions/cache's
// restoreCache, and the same outputs. node_modules is a symlink the script makes
// to its npm install of the pinned @actions/cache.
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
  const restoreKeys = core.getMultilineInput('restore-keys');
  const lookupOnly = core.getBooleanInput('lookup-only');
  const failOnMiss = core.getBooleanInput('fail-on-cache-miss');
  const crossOs = core.getBooleanInput('enableCrossOsArchive');
  core.setOutput('cache-primary-key', key);
  const matched = await cache.restoreCache(paths, key, restoreKeys, { lookupOnly }, crossOs);
  if (!matched) {
    if (failOnMiss) {
      throw new Error(`Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: ${key}`);
    }
    core.info(`Cache not found for input keys: ${[key, ...restoreKeys].join(', ')}`);
    return;
  }
  // As the real action: an exact match is case-insensitive.
  const exact = matched.localeCompare(key, undefined, { sensitivity: 'accent' }) === 0;
  core.setOutput('cache-hit', String(exact));
  core.setOutput('cache-matched-key', matched);
  core.info(`Cache restored from key: ${matched}`);
}

run().catch((err) => core.setFailed(err.message));
