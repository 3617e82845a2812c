package cli

// initFiles lists what promptgate init writes; pf names a promptfoo config
// found in the directory ("" for none).
func initFiles(pf string) []initFile {
	cfg := initConfig
	files := []initFile{}
	if pf == "" {
		cfg += "\n# Requests per day per prompt: the check projects monthly cost from these.\ntraffic:\n  hello: {requests_per_day: 1000}\n"
	}
	if pf != "" {
		cfg += "\n# Your promptfoo config, read as is (docs/promptfoo.md).\npromptfoo:\n  - " + pf + "\n"
	} else {
		files = append(files, initFile{path: "prompts/hello.prompt", content: initPrompt},
			initFile{path: "evals/hello.yaml", content: initSuite})
	}
	return append([]initFile{{path: "promptgate.yaml", content: cfg}}, append(files,
		initFile{path: ".github/workflows/promptgate.yml", content: initWorkflow},
		initFile{path: ".gitignore", content: "# promptgate: the local response cache\n.promptgate/\n", appendLines: true})...)
}

const initConfig = `# promptgate.yaml: every key is optional. Reference: README.md, "promptgate.yaml".
providers:
  default:
    # base_url: http://127.0.0.1:11434/v1   # default: $OPENAI_BASE_URL, else OpenAI's
    api_key_env: OPENAI_API_KEY
    concurrency: 8

budget: {monthly_usd: 100}

gate:
  max_cost_increase_pct: 20
`

const initPrompt = `---
model: gpt-4.1-mini
config:
  temperature: 0
input:
  schema:
    text: string
---
{{role "user"}}
Classify the sentiment of this customer message. Answer with one word: positive, negative or neutral.

Message: {{text}}
`

const initSuite = `# An eval suite: its prompt, the pass rate it needs, and test cases with
# promptfoo's assertion types (docs/assertions.md).
prompt: hello
threshold: 1.0
tests:
  - description: a happy customer
    vars: {text: "I love this product, it works perfectly."}
    assert:
      - type: icontains
        value: positive
  - description: an unhappy customer
    vars: {text: "It broke after a day and support never answered."}
    assert:
      - type: icontains-any
        value: [negative, positive, neutral]
`

const initWorkflow = `# promptgate checks every pull request: base vs head of each affected prompt,
# projected monthly cost, gates, and a check run named "promptgate".
name: promptgate
on:
  pull_request:        # every PR, so a required check always reports
  push:
    branches: [main]   # records the default branch's history for trend charts

permissions:
  contents: read
  checks: write
  pull-requests: write # only for comment: true

concurrency:
  group: promptgate-${{ github.event.pull_request.number || github.sha }}
  cancel-in-progress: true

jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: promptgate/promptgate@v1
        env:
          OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }}
        with:
          comment: true
`
