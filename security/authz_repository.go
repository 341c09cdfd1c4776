package security

import (
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/status"
)

// NamespaceSecurityClass is the class of the instances in which
// RepositorySDStore keeps namespace security descriptors, in namespace
// SecurityNamespace:
//
//	[Description("...")]
//	class __NamespaceSecurity
//	{
//	    [Key] string Name;      // the namespace, "root/cimv2"
//	    string SD;              // the descriptor's text form
//	    string ModifiedBy;      // the user who set it
//	    datetime Modified;      // when
//	};
const NamespaceSecurityClass = "__NamespaceSecurity"

// RepositorySDStore is an SDStore that keeps the descriptors in a
// repository, as instances of __NamespaceSecurity in root/security. The
// namespace and the class are created with the first descriptor set, so
// a repository where no descriptor was ever set is left as it is.
//
// Anyone with Enable on root/security can read those instances through
// the object manager; its default descriptor (DefaultSDs) gives that to
// administrators only, and it does not inherit from root while it keeps
// that default.
type RepositorySDStore struct {
	repo *repository.Repository
}

var _ SDStore = (*RepositorySDStore)(nil)

// NewRepositorySDStore returns the store of repo.
func NewRepositorySDStore(repo *repository.Repository) *RepositorySDStore {
	return &RepositorySDStore{repo: repo}
}

// namespaceSecurityClass returns the declaration of __NamespaceSecurity.
func namespaceSecurityClass() *cim.Class {
	key := cim.Qualifier{Name: "Key", Value: cim.NewBool(true), Flavor: cim.FlavorDisableOverride}
	return &cim.Class{
		Name: NamespaceSecurityClass,
		Qualifiers: cim.Qualifiers{{Name: "Description", Value: cim.NewString(
			"The security descriptor set on a namespace (gowbem): its text form, " +
				"who set it and when. Managed through __SystemSecurity.SetSD; do not change it directly.")}},
		Properties: []*cim.Property{
			{Name: "Name", Type: cim.String, Qualifiers: cim.Qualifiers{key}},
			{Name: "SD", Type: cim.String},
			{Name: "ModifiedBy", Type: cim.String},
			{Name: "Modified", Type: cim.DateTime},
		},
	}
}

// LoadSDs implements SDStore.
func (s *RepositorySDStore) LoadSDs() (map[string]string, error) {
	out := map[string]string{}
	if !s.repo.HasNamespace(SecurityNamespace) {
		return out, nil
	}
	if _, err := s.repo.GetClass(SecurityNamespace, NamespaceSecurityClass); err != nil {
		if isMissing(err) {
			return out, nil
		}
		return nil, err
	}
	insts, err := s.repo.Instances(SecurityNamespace, NamespaceSecurityClass, false)
	if err != nil {
		return nil, err
	}
	for _, i := range insts {
		if name := i.Value("Name").Text(); name != "" {
			out[name] = i.Value("SD").Text()
		}
	}
	return out, nil
}

// SaveSD implements SDStore.
func (s *RepositorySDStore) SaveSD(ns, text, by string) error {
	name := nsName(ns)
	return s.repo.Update(func(tx *repository.Tx) error {
		if text == "" {
			if !tx.HasNamespace(SecurityNamespace) {
				return nil
			}
			p := &cim.ObjectPath{Class: NamespaceSecurityClass, Keys: []cim.KeyBinding{
				{Name: "Name", Value: cim.KeyValue{Kind: cim.KeyString, Text: name}},
			}}
			if err := tx.DeleteInstance(SecurityNamespace, p); err != nil && !isMissing(err) {
				return err
			}
			return nil
		}
		if err := tx.CreateNamespace(SecurityNamespace); err != nil {
			return err
		}
		c, err := tx.GetClass(SecurityNamespace, NamespaceSecurityClass)
		if err != nil {
			if !isMissing(err) {
				return err
			}
			if _, err := tx.PutClass(SecurityNamespace, namespaceSecurityClass()); err != nil {
				return err
			}
			if c, err = tx.GetClass(SecurityNamespace, NamespaceSecurityClass); err != nil {
				return err
			}
		}
		inst := cim.NewInstance(c)
		modified, err := cim.NewDateTime(cim.FormatTimestamp(time.Now()))
		if err != nil {
			return err
		}
		for _, kv := range []struct {
			name string
			v    cim.Value
		}{
			{"Name", cim.NewString(name)},
			{"SD", cim.NewString(text)},
			{"ModifiedBy", cim.NewString(by)},
			{"Modified", modified},
		} {
			if err := inst.Set(kv.name, kv.v); err != nil {
				return err
			}
		}
		_, _, err = tx.PutInstance(SecurityNamespace, inst)
		return err
	})
}

// isMissing reports a class or instance that does not exist.
func isMissing(err error) bool {
	switch status.Code(err) {
	case status.WBEM_E_NOT_FOUND, status.WBEM_E_INVALID_CLASS:
		return true
	}
	return false
}
