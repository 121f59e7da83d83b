package query

// PickRevision chooses an evaluation's commit: the flake's locked revision, else the
// revision of the input holding the Nix expression, else the only input with a revision,
// else the first by name when the expression's input is named; "" when it is ambiguous.
func PickRevision(flake, exprInput string, inputs []EvalInput) string {
	if r := FlakeRevision(flake); r != "" {
		return r
	}
	in, _ := pickInput(exprInput, inputs)
	return in.Revision
}

// PickRepo chooses the repository of the commit PickRevision chooses: the flake reference,
// or the URI of the input whose revision it is; "" when unknown.
func PickRepo(flake, exprInput string, inputs []EvalInput) string {
	if FlakeRevision(flake) != "" {
		return flake
	}
	if in, ok := pickInput(exprInput, inputs); ok {
		return in.URI
	}
	return ""
}

// pickInput is the input whose revision is the evaluation's commit (see PickRevision).
func pickInput(exprInput string, inputs []EvalInput) (EvalInput, bool) {
	var withRev []EvalInput
	for _, in := range inputs {
		if in.Revision == "" {
			continue
		}
		if in.Name == exprInput {
			return in, true
		}
		withRev = append(withRev, in)
	}
	if len(withRev) == 1 || (len(withRev) > 0 && exprInput != "") {
		return withRev[0], true
	}
	return EvalInput{}, false
}

// JobItems offers the jobs of a jobset to the editor, each with its latest status.
func JobItems(jobs []JobStatus) []Item {
	out := make([]Item, len(jobs))
	for i, j := range jobs {
		out[i] = Item{Value: j.Job, Description: StatusText(j.Build)}
	}
	return out
}
