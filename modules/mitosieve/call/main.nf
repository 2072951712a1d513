process MITOSIEVE_CALL {
    tag "$meta.id"
    label 'process_medium'

    // mitosieve is not on Bioconda/BioContainers: put it on the PATH of the tasks
    // (`cargo install --path .`) or give a container with `process.container`.

    input:
    tuple val(meta), path(counts, stageAs: 'counts/*')
    path catalogue

    output:
    tuple val(meta), path("calls.vcf.gz")    , emit: vcf
    tuple val(meta), path("calls.vcf.gz.tbi"), emit: tbi
    tuple val(meta), path("calls.tsv")       , emit: tsv
    tuple val(meta), path("targets.tsv")     , emit: targets
    tuple val(meta), path("deletions.tsv")   , emit: deletions
    tuple val(meta), path("calls.json")      , emit: json
    tuple val(meta), path("mitosieve.manifest.json"), emit: manifest, optional: true
    path "versions.yml"                      , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    def targets_arg = catalogue ? "--targets ${catalogue}" : ''
    // Clones in name order, as `mitosieve run` orders them (the column order of every
    // output), whatever order the counts files arrived in.
    def inputs = (counts instanceof List ? counts : [counts])
        .sort(false) { it.name.replace('.counts.tsv.gz', '') }
        .collect { "counts/${it.name}" }
        .join(' ')
    """
    mitosieve call \\
        $args \\
        $targets_arg \\
        --threads $task.cpus \\
        --outdir . \\
        $inputs

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        mitosieve: \$(mitosieve --version | sed 's/^mitosieve //')
    END_VERSIONS
    """

    stub:
    """
    echo | gzip > calls.vcf.gz
    touch calls.vcf.gz.tbi
    touch calls.tsv
    touch targets.tsv
    touch deletions.tsv
    touch calls.json

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        mitosieve: \$(mitosieve --version | sed 's/^mitosieve //')
    END_VERSIONS
    """
}
