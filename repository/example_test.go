package repository_test

import (
	"fmt"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
)

func Example() {
	repo := repository.NewMemory() // or repository.Open(dir, repository.Options{})
	defer repo.Close()

	key := cim.Qualifier{Name: "Key", Value: cim.NewBool(true), Flavor: cim.FlavorDisableOverride}
	err := repo.Update(func(tx *repository.Tx) error {
		if err := tx.CreateNamespace("root/example"); err != nil {
			return err
		}
		base := &cim.Class{Name: "EX_Base", Properties: []*cim.Property{
			{Name: "Id", Type: cim.Uint32, Qualifiers: cim.Qualifiers{key}},
		}}
		derived := &cim.Class{Name: "EX_Derived", SuperClass: "EX_Base", Properties: []*cim.Property{
			{Name: "Label", Type: cim.String},
		}}
		for _, c := range []*cim.Class{base, derived} {
			if _, err := tx.PutClass("root/example", c); err != nil {
				return err
			}
		}
		c, err := tx.GetClass("root/example", "EX_Derived")
		if err != nil {
			return err
		}
		inst := c.SpawnInstance()
		_ = inst.Put("Id", uint32(7))
		_ = inst.Put("Label", "seven")
		path, _, err := tx.PutInstance("root/example", inst)
		fmt.Println("stored", path)
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	c, _ := repo.GetClass(`ROOT\Example`, "ex_derived")
	for _, p := range c.Properties {
		fmt.Printf("%s.%s from %s\n", c.Name, p.Name, p.ClassOrigin)
	}
	path, _ := cim.ParsePath(`EX_Base.Id="7"`) // a superclass path, a string key
	inst, _ := repo.Instance("root/example", path)
	fmt.Println(inst.ClassName(), inst.Value("Label"))
	// Output:
	// stored root\example:EX_Derived.Id=7
	// EX_Derived.Id from EX_Base
	// EX_Derived.Label from EX_Derived
	// EX_Derived "seven"
}
