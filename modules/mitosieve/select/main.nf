process MITOSIEVE_SELECT {
    tag "$meta.id"
    label 'process_single'

    // mitosieve is not on Bioconda/BioContainers: put it on the PATH of the tasks
    // (`cargo install --path .`) or give a container with `process.container`.

    input:
    tuple val(meta), path(calls_json)
    path policy
    path donor

    output:
    tuple val(meta), path("selection.tsv")       , emit: tsv
    tuple val(meta), path("selection.json")      , emit: json
    tuple val(meta), path("policy.resolved.toml"), emit: policy
    tuple val(meta), path("report.html")         , emit: html
    tuple val(meta), path("*_mqc.{tsv,json}")    , emit: multiqc
    tuple val(meta), path("mitosieve.manifest.json"), emit: manifest, optional: true
    path "versions.yml"                          , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    def policy_arg = policy ? "--policy ${policy}" : ''
    def donor_arg = donor ? "--donor ${donor}" : ''
    """
    mitosieve select \\
        $args \\
        $policy_arg \\
        $donor_arg \\
        --outdir . \\
        $calls_json

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        mitosieve: \$(mitosieve --version | sed 's/^mitosieve //')
    END_VERSIONS
    """

    stub:
    """
    touch selection.tsv
    touch selection.json
    touch policy.resolved.toml
    touch report.html
    touch mitosieve_selection_mqc.tsv
    touch mitosieve_coverage_mqc.json

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        mitosieve: \$(mitosieve --version | sed 's/^mitosieve //')
    END_VERSIONS
    """
}
