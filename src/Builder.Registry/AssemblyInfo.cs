namespace Builder.Registry;
