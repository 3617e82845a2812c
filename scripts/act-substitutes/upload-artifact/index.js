'use strict';
// SUBSTITUTE for actions/upload-artifact@v4 (scripts/act-rerun.sh only): finds
// the files with @actions/glob and uploads them with @actions/artifact v2's
// DefaultArtifactClient.uploadArtifact, as the real action does. The root
// directory is the files' deepest common directory (the real action derives it
// from the search paths; for the one file promptgate uploads both give its
// directory). `overwrite` deletes an artifact of the same name first.
const fs = require('fs');
const path = require('path');
const core = require('@actions/core');
const glob = require('@actions/glob');
const { DefaultArtifactClient } = require('@actions/artifact');

function commonDir(files) {
  let dir = path.dirname(files[0]);
  for (const f of files.slice(1)) {
    while (!(f + path.sep).startsWith(dir + path.sep) && dir !== path.dirname(dir)) {
      dir = path.dirname(dir);
    }
  }
  return dir;
}

async function run() {
  const name = core.getInput('name') || 'artifact';
  const ifNone = core.getInput('if-no-files-found') || 'warn';
  const hidden = core.getBooleanInput('include-hidden-files');
  const globber = await glob.create(core.getInput('path', { required: true }), { followSymbolicLinks: true });
  const files = (await globber.glob())
    .filter((f) => fs.statSync(f).isFile())
    .filter((f) => hidden || !f.split(path.sep).some((part) => part.startsWith('.') && part.length > 1));
  if (files.length === 0) {
    const msg = `No files were found with the provided path. No artifacts will be uploaded.`;
    if (ifNone === 'error') throw new Error(msg);
    if (ifNone === 'warn') core.warning(msg);
    else core.info(msg);
    return;
  }
  const client = new DefaultArtifactClient();
  if (core.getBooleanInput('overwrite')) {
    try {
      await client.deleteArtifact(name);
    } catch (err) {
      core.debug(`no artifact ${name} to delete: ${err.message}`);
    }
  }
  const opts = {};
  const days = core.getInput('retention-days');
  if (days) opts.retentionDays = parseInt(days, 10);
  const level = core.getInput('compression-level');
  if (level) opts.compressionLevel = parseInt(level, 10);
  const res = await client.uploadArtifact(name, files, commonDir(files), opts);
  core.info(`Artifact ${name} has been successfully uploaded! Final size is ${res.size} bytes. Artifact ID is ${res.id}`);
  core.setOutput('artifact-id', res.id);
  core.setOutput('artifact-digest', res.digest);
  core.setOutput('artifact-url', `${process.env.GITHUB_SERVER_URL}/${process.env.GITHUB_REPOSITORY}/actions/runs/${process.env.GITHUB_RUN_ID}/artifacts/${res.id}`);
}

run().catch((err) => core.setFailed(err.message));
