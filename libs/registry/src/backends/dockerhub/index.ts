export { createDockerHubRegistry, DockerHubRegistry, DOCKER_HUB_REALM_HOSTS, DOCKER_HUB_URL } from './dockerhub-registry';
