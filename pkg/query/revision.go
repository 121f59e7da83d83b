package query

// PickRevision chooses an evaluation's commit: the flake's locked revision, else the
// revision of the input holding the Nix expression, else the only input with a revision,
// else the first by name when the expression's input is named; "" when it is ambiguous.
func PickRevision(flake, exprInput string, inputs []EvalInput) string {
	if r := FlakeRevision(flake); r != "" {
		return r
	}
	var withRev []EvalInput
	for _, in := range inputs {
		if in.Revision == "" {
			continue
		}
		if in.Name == exprInput {
			return in.Revision
		}
		withRev = append(withRev, in)
	}
	if len(withRev) == 1 || (len(withRev) > 0 && exprInput != "") {
		return withRev[0].Revision
	}
	return ""
}

// JobItems offers the jobs of a jobset to the editor, each with its latest status.
func JobItems(jobs []JobStatus) []Item {
	out := make([]Item, len(jobs))
	for i, j := range jobs {
		out[i] = Item{Value: j.Job, Description: StatusText(j.Build)}
	}
	return out
}
