"""What the bundled document prints, read off it by hand, for tests in more than one file."""

# The projects whose names say 入驻科教城, as the project table prints them (lines 775-869).
KJC_NAMES = {
    "广州市技师学院入驻科教城搬迁开办项目",
    "广州市技师学院入驻科教城校区购置项目",
    "广州市工贸技师学院入驻科教城搬迁开办项目",
    "广州市工贸技师学院入驻科教城购置项目",
    "广州市公用事业技师学院入驻科教城搬迁项目",
    "广州市公用事业技师学院入驻科教城购置项目",
    "市交通技师学院入驻科教城搬迁开办项目",
    "市交通技师学院入驻科教城购置项目",
}

# A CONSTRUCT of those projects' names.
KJC_PROJECTS = """PREFIX bkg: <https://w3id.org/budgetkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
CONSTRUCT { ?p rdfs:label ?name } WHERE { ?p a bkg:Project ; rdfs:label ?name FILTER(CONTAINS(?name, "入驻科教城")) }"""
