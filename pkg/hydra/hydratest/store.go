package hydratest

// AddProject adds or replaces a project.
func (s *Server) AddProject(p Project) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := p
	s.projects[p.Name] = &cp
}

// AddJobset adds or replaces a jobset, creating its project if missing.
func (s *Server) AddJobset(j Jobset) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureProject(j.Project)
	cp := j
	s.jobsets[jsKey{j.Project, j.Name}] = &cp
}

// AddBuild adds a build, or replaces the build with the same ID (e.g. to
// finish it). Its project and jobset are created if missing. The Build's
// maps and slices are kept, not copied: do not change them afterwards.
func (s *Server) AddBuild(b Build) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addBuildLocked(b)
}

func (s *Server) addBuildLocked(b Build) {
	s.ensureJobset(b.Project, b.Jobset)
	if old, ok := s.builds[b.ID]; ok {
		if old.b.jobKey() != b.jobKey() {
			s.jobBuilds[old.b.jobKey()] = removeSorted(s.jobBuilds[old.b.jobKey()], b.ID)
			s.jobsetBuilds[old.b.jsKey()] = removeSorted(s.jobsetBuilds[old.b.jsKey()], b.ID)
		}
		old.b = b
		old.json.Store(nil)
	} else {
		s.builds[b.ID] = &buildState{b: b}
		s.allBuilds = insertSorted(s.allBuilds, b.ID)
	}
	s.jobBuilds[b.jobKey()] = insertSorted(s.jobBuilds[b.jobKey()], b.ID)
	s.jobsetBuilds[b.jsKey()] = insertSorted(s.jobsetBuilds[b.jsKey()], b.ID)
}

// AddEval adds or replaces an evaluation; its members are e.Builds. If
// HasNewBuilds, every member build lists it in "jobsetevals". If not, the
// eval is stored without builds and inputs, as Hydra records none for it.
func (s *Server) AddEval(e Eval) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addEvalLocked(e)
}

func (s *Server) addEvalLocked(e Eval) {
	s.ensureJobset(e.Project, e.Jobset)
	if old, ok := s.evals[e.ID]; ok && old.HasNewBuilds {
		k := jsKey{old.Project, old.Jobset}
		s.jobsetEvals[k] = removeSorted(s.jobsetEvals[k], e.ID)
		for _, id := range old.Builds {
			s.memberOf[id] = removeSorted(s.memberOf[id], e.ID)
			s.invalidate(id)
		}
	}
	if !e.HasNewBuilds {
		e.Builds, e.Inputs = nil, nil
	}
	cp := e
	s.evals[e.ID] = &cp
	if !e.HasNewBuilds {
		return
	}
	k := jsKey{e.Project, e.Jobset}
	s.jobsetEvals[k] = insertSorted(s.jobsetEvals[k], e.ID)
	for _, id := range e.Builds {
		s.memberOf[id] = insertSorted(s.memberOf[id], e.ID)
		s.invalidate(id)
	}
}

// RenameJobset records a JobsetRenames row: /jobset/P/OLD/... and
// /job/P/OLD/... then answer 301 to the new name. If the jobset OLD exists,
// it is renamed to NEW together with its builds and evals, as in Hydra.
func (s *Server) RenameJobset(project, oldName, newName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok, nk := jsKey{project, oldName}, jsKey{project, newName}
	delete(s.renames, nk)
	s.renames[ok] = newName
	j, exists := s.jobsets[ok]
	if !exists {
		return
	}
	delete(s.jobsets, ok)
	j.Name = newName
	s.jobsets[nk] = j
	for _, id := range s.jobsetBuilds[ok] {
		st := s.builds[id]
		jk := st.b.jobKey()
		s.jobBuilds[jk] = removeSorted(s.jobBuilds[jk], id)
		if len(s.jobBuilds[jk]) == 0 {
			delete(s.jobBuilds, jk)
		}
		st.b.Jobset = newName
		st.json.Store(nil)
		s.jobBuilds[st.b.jobKey()] = insertSorted(s.jobBuilds[st.b.jobKey()], id)
		s.jobsetBuilds[nk] = insertSorted(s.jobsetBuilds[nk], id)
	}
	delete(s.jobsetBuilds, ok)
	for _, e := range s.evals {
		if e.Project == project && e.Jobset == oldName {
			e.Jobset = newName
		}
	}
	for _, id := range s.jobsetEvals[ok] {
		s.jobsetEvals[nk] = insertSorted(s.jobsetEvals[nk], id)
	}
	delete(s.jobsetEvals, ok)
}

func (s *Server) invalidate(id int64) {
	if st, ok := s.builds[id]; ok {
		st.json.Store(nil)
	}
}

func (s *Server) ensureProject(name string) {
	if _, ok := s.projects[name]; !ok {
		s.projects[name] = &Project{Name: name, DisplayName: name, Enabled: true}
	}
}

// ensureJobset creates a minimal enabled legacy jobset (and project) if missing.
func (s *Server) ensureJobset(project, name string) {
	s.ensureProject(project)
	k := jsKey{project, name}
	if _, ok := s.jobsets[k]; !ok {
		s.jobsets[k] = &Jobset{Project: project, Name: name, Enabled: 1,
			NixExprInput: "src", NixExprPath: "release.nix",
			Inputs: map[string]JobsetInput{}}
	}
}

// Build returns a copy of the stored build with the given id.
func (s *Server) Build(id int64) (Build, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, ok := s.builds[id]
	if !ok {
		return Build{}, false
	}
	return st.b, true
}

// SetGarbageCollected marks a build's outputs as collected (or not).
func (s *Server) SetGarbageCollected(id int64, gc bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.builds[id]; ok {
		st.b.GarbageCollected = gc
	}
}

// lookupJobset resolves P/J, returning the renamed-to name when J is gone.
func (s *Server) lookupJobset(project, name string) (j *Jobset, renamedTo string) {
	k := jsKey{project, name}
	if j, ok := s.jobsets[k]; ok {
		return j, ""
	}
	return nil, s.renames[k]
}
