package eval

import (
	"fmt"
	"slices"

	"github.com/promptgate/promptgate/internal/shard"
)

// Merge combines the reports of the N shards of one run into the report the
// whole run would have made: each suite's cases from every shard, with its
// counts, means, percentiles and cost computed afresh. Its duration is the
// slowest shard's. It refuses reports
// that are not one complete set of shards of the same suites and prompt
// versions; names[i] names reports[i] in its errors.
func Merge(reports []*Report, names []string) (*Report, error) {
	specs := make([]string, len(reports))
	for i, r := range reports {
		specs[i] = r.Shard
	}
	if err := shard.Complete(specs, names); err != nil {
		return nil, err
	}
	out := &Report{}
	byPath := map[string]*SuiteResult{}
	keys := map[string]map[CaseKey]string{}
	for i, r := range reports {
		out.Calls += r.Calls
		out.CacheHits += r.CacheHits
		out.Duration = max(out.Duration, r.Duration)
		for _, w := range r.Warnings {
			if !slices.Contains(out.Warnings, w) {
				out.Warnings = append(out.Warnings, w)
			}
		}
		for _, s := range r.Suites {
			m, ok := byPath[s.Path]
			if !ok {
				m = &SuiteResult{Path: s.Path, Prompt: s.Prompt, Variant: s.Variant, PromptPath: s.PromptPath,
					PromptHash: s.PromptHash, Model: s.Model, Description: s.Description, Threshold: s.Threshold,
					ThresholdLine: s.ThresholdLine, ModelLine: s.ModelLine}
				byPath[s.Path] = m
				keys[s.Path] = map[CaseKey]string{}
				out.Suites = append(out.Suites, m)
			}
			if m.PromptHash != s.PromptHash || m.Model != s.Model || m.Threshold != s.Threshold {
				return nil, fmt.Errorf("merge: %s ran %s with prompt %s@%s, model %s, threshold %v, but another shard with %s@%s, %s, %v: "+
					"shards must run the same commit", names[i], s.Path, s.Prompt, s.PromptHash, s.Model, s.Threshold,
					m.Prompt, m.PromptHash, m.Model, m.Threshold)
			}
			for _, c := range s.Cases {
				if prev, dup := keys[s.Path][c.Key()]; dup {
					return nil, fmt.Errorf("merge: %s case %d (repeat %d) is in both %s and %s", s.Path, c.Index, c.Repeat, prev, names[i])
				}
				keys[s.Path][c.Key()] = names[i]
				m.Cases = append(m.Cases, c)
			}
		}
	}
	for _, s := range out.Suites {
		s.finish()
	}
	return out, nil
}
